"""Chinese interface text: fills locale/zh_Hans from this table (run `make messages` after editing).

Kept as a table so that a reviewer can read every Chinese string in one place.
"""
import sys
from pathlib import Path

import polib

ZH = {
    "Core": "基础", "province": "省", "city": "市", "county": "县（区）", "code": "代码", "name": "名称", "level": "级别",
    "region": "行政区划", "regions": "行政区划", "HRSS": "人社", "housing & construction": "住建", "transport": "交通",
    "water resources": "水利", "central bank branch": "人民银行", "police": "公安", "building": "房屋建筑", "municipal": "市政",
    "water": "水利", "other": "其他", "agency": "部门类别", "department": "主管部门", "departments": "主管部门",
    "department official": "主管部门工作人员", "enterprise admin": "企业管理员", "project wage officer": "劳资专管员",
    "bank operator": "银行经办人员", "worker": "农民工", "platform admin": "平台管理员", "role": "角色", "bank code": "银行代码",
    "user": "用户", "users": "用户", "audit entry": "审计记录", "audit entries": "审计记录", "Real-name registry": "实名制管理",
    "The file is not a readable Excel (.xlsx) workbook.": "文件不是可读取的 Excel（.xlsx）工作簿。",
    "Missing column: %(col)s": "缺少列：%(col)s", "At most %(n)d rows per file.": "每个文件最多 %(n)d 行。",
    "This enterprise does not participate in the project.": "该企业不是本项目的参建单位。", "Trade is required.": "工种必填。",
    "Exit date must not be before the entry date.": "退场日期不能早于进场日期。",
    "Wage terms must be 日薪, 月薪 or 计件.": "工资方式须为日薪、月薪或计件。", "Wage rate must be above zero.": "工资标准须大于零。",
    "Pay day must be a day of the month (1-31).": "发薪日须为每月 1-31 日中的一天。", "The file has no data rows.": "文件中没有数据行。",
    "The same ID number is already on row %(row)d.": "相同的身份证号码已出现在第 %(row)d 行。",
    "construction enterprise": "施工企业", "labour service enterprise": "劳务企业", "developer / owner": "建设单位",
    "public body": "机关事业单位", "unified social credit code": "统一社会信用代码", "kind": "类型", "legal representative": "法定代表人",
    "enterprise": "企业", "enterprises": "企业", "not started": "未开工", "under construction": "在建", "suspended": "停工",
    "completed": "竣工", "proposed by the general contractor": "总包申报待受理", "filed": "已建档", "onboarded": "已纳入监管",
    "project code": "项目编码", "project name": "项目名称", "industry": "行业", "owner": "建设单位", "general contractor": "施工总承包企业",
    "contract amount": "合同金额", "labour-cost ratio": "人工费比例", "construction permit no.": "施工许可证号", "start date": "开工日期",
    "planned end": "计划竣工日期", "status": "状态", "qualifying": "符合条件", "filing status": "建档状态", "onboarded at": "纳入监管时间",
    "project": "项目", "projects": "项目", "specialty subcontractor": "专业分包企业", "labour subcontractor": "劳务分包企业",
    "pending review": "待审核", "approved": "审核通过", "returned": "已退回", "review": "审核", "review reason": "审核意见",
    "participating enterprise": "参建单位", "participating enterprises": "参建单位", "team name": "班组名称", "work team": "班组",
    "work teams": "班组", "male": "男", "female": "女", "resident ID number": "公民身份号码", "sex": "性别", "ethnicity": "民族",
    "birth date": "出生日期", "address": "住址", "issuing authority": "签发机关", "valid from": "有效期起", "valid until": "有效期止",
    "empty = long-term": "空表示长期有效", "native place": "籍贯", "photo (base64)": "照片", "phone": "手机号码", "bank card": "工资卡号",
    "card bank": "工资卡开户银行", "workers": "农民工", "raw reader payload (JSON)": "读卡器原始数据", "reader device": "读卡设备",
    "ID-card reading": "身份证读卡记录", "ID-card readings": "身份证读卡记录", "trade": "工种", "entered on": "进场日期",
    "exited on": "退场日期", "employment": "用工记录", "employments": "用工记录", "daily wage": "日薪", "monthly wage": "月薪",
    "piece rate": "计件", "signed on": "签订日期", "term end": "合同期止", "wage terms": "工资方式", "wage rate": "工资标准",
    "pay day": "发薪日", "contract file": "合同文件", "labour contract": "劳动合同", "labour contracts": "劳动合同", "waiting": "排队中",
    "running": "进行中", "imported": "已导入", "rejected": "未导入",
    "Only the industry department of the project's region may do this.": "只有项目所在地的行业主管部门可以办理此事项。",
    "You may only manage workers of your own enterprise on its projects.": "只能管理本企业在其参建项目上的工人。",
    "Enterprise name is required.": "企业名称必填。", "Unknown enterprise kind.": "未知的企业类型。", "Must be a number.": "须为数字。",
    "Must not be negative.": "不能为负数。", "Project name is required.": "项目名称必填。",
    "A project belongs to a county-level region.": "项目须归属县（区）级行政区划。", "Unknown industry.": "未知的行业。",
    "Unknown project status.": "未知的项目状态。", "Labour-cost ratio must be between 0 and 1.": "人工费比例须在 0 到 1 之间。",
    "Planned end must not be before the start date.": "计划竣工日期不能早于开工日期。",
    "A project with this code already exists.": "该项目编码已存在。",
    "Only the general contractor may propose its project.": "只有施工总承包企业可以申报本项目。",
    "Only a proposed project can be accepted.": "只有待受理的项目可以受理。",
    "Only subcontractors can be added to a filed project.": "已建档项目只能新增分包企业。",
    "A reason is required to return the information.": "退回须填写理由。",
    "Only a filed project that is not yet onboarded can be onboarded.": "只有已建档且尚未纳入监管的项目可以备案。",
    "Every participating enterprise must be approved first.": "须先审核通过全部参建单位。", "Team name is required.": "班组名称必填。",
    "This date is required.": "该日期必填。", "Date must be written as YYYY-MM-DD.": "日期格式须为 YYYY-MM-DD。",
    "The reader payload must be a JSON object.": "读卡数据须为 JSON 对象。", "Name is required.": "姓名必填。",
    "Sex must be 男 or 女.": "性别须为男或女。", "Sex does not match the ID number.": "性别与身份证号码不符。",
    "Birth date does not match the ID number.": "出生日期与身份证号码不符。",
    "The ID card expired on %(date)s.": "身份证已于 %(date)s 过期，不能登记。", "This field cannot be revealed.": "该字段不能查看明文。",
    "You do not have permission to read personal data unmasked.": "您没有查看个人信息明文的权限。",
    "The enterprise does not participate in this project.": "该企业不是本项目的参建单位。",
    "The team belongs to another project or enterprise.": "该班组属于其他项目或企业。",
    "The worker is already on this project's roster for these days.": "该工人在这些日期已在本项目花名册中。",
    "The worker has already exited this project.": "该工人已从本项目退场。",
    "The contract file must not exceed %(mb)d MB.": "合同文件不能超过 %(mb)d MB。", "The contract file is empty.": "合同文件为空。",
    "The contract file must be a PDF, JPEG or PNG.": "合同文件须为 PDF、JPEG 或 PNG 格式。",
    "Wage terms must be daily, monthly or piece rate.": "工资方式须为日薪、月薪或计件。",
    "Contract end must not be before it was signed.": "合同期止不能早于签订日期。", "ID number is required.": "身份证号码必填。",
    "ID number must have 18 characters.": "身份证号码须为 18 位。",
    "ID number must be 17 digits followed by a digit or X.": "身份证号码须为 17 位数字加 1 位数字或 X。",
    "ID number check digit is wrong.": "身份证号码校验位错误。",
    "ID number contains an invalid birth date or region code.": "身份证号码中的出生日期或地区码无效。",
    "ID number is not valid.": "身份证号码无效。", "Unified social credit code is required.": "统一社会信用代码必填。",
    "Unified social credit code must have 18 characters.": "统一社会信用代码须为 18 位。",
    "Unified social credit code check character is wrong.": "统一社会信用代码校验位错误。",
    "Unified social credit code is not valid.": "统一社会信用代码无效。",
    "Mobile number must be 11 digits starting with 13-19.": "手机号码须为 13-19 开头的 11 位数字。",
    "Bank card number must be 16-19 digits with a valid check digit.": "银行卡号须为 16-19 位且校验位正确。",
    "The project has been accepted and filed.": "项目已受理并建档。", "The project is onboarded and now supervised.": "项目已备案，纳入平台监管。",
    "Review recorded.": "审核意见已记录。", "Choose an Excel file to import.": "请选择要导入的 Excel 文件。",
    "Simplified Chinese": "简体中文", "English": "English", "Wage-payment supervision platform": "农民工工资支付监管平台",
    "Shandong": "山东", "Shandong wage-payment supervision platform": "山东省农民工工资支付监管平台", "Home": "首页",
    "Projects": "项目", "Onboarding to-do": "待纳管项目", "My records": "我的信息", "Administration": "系统管理", "Log out": "退出",
    "Sign in": "登录", "Wrong user name or password.": "用户名或密码错误。", "User name": "用户名", "Password": "密码",
    "Importing rows…": "正在导入…", "Checking rows…": "正在校验…", "Waiting for the background worker…": "等待后台任务处理…",
    "%(n)s rows imported.": "已导入 %(n)s 行。", "Back to the project": "返回项目", "Nothing was imported.": "未导入任何数据。",
    "%(n)s errors; correct them and upload the file again.": "共 %(n)s 处错误，请修改后重新上传。", "Row": "行", "Column": "列",
    "Problem": "问题", "Project code": "项目编码", "Project name": "项目名称", "County": "所在县（区）", "Industry": "行业",
    "General contractor": "施工总承包企业", "Status": "状态", "Onboarding": "纳管状态", "No projects.": "没有项目。",
    "Previous": "上一页", "Page %(n)s of %(total)s · %(count)s in all": "第 %(n)s / %(total)s 页 · 共 %(count)s 条", "Next": "下一页",
    "Overview": "概览", "Projects in my scope": "辖区内项目", "Onboarded (supervised)": "已纳入监管",
    "Qualifying projects to onboard": "待纳管的符合条件项目", "Workers on site rosters": "在场工人",
    "On roster without a labour contract": "在场未签劳动合同", "On two sites at once": "同时在两个项目", "Import roster": "导入花名册",
    "Qualifying projects not yet onboarded": "尚未纳入监管的符合条件项目",
    "File each project, review its participating enterprises, then record it as onboarded.": "逐个项目建档，审核参建单位信息，然后备案纳入监管。",
    "Owner": "建设单位", "Contract amount": "合同金额", "Labour-cost ratio": "人工费比例", "Construction permit no.": "施工许可证号",
    "Dates": "工期", "Accept and file": "受理并建档", "Record as onboarded": "备案纳入监管", "Participating enterprises": "参建单位",
    "Enterprise": "企业", "Unified social credit code": "统一社会信用代码", "Role": "角色", "Review": "审核",
    "Reason (required to return)": "意见（退回必填）", "Approve": "通过", "Return": "退回", "Work teams": "班组", "Team": "班组",
    "Team leader": "班组长", "On site": "在场人数", "No teams.": "没有班组。", "Roster": "花名册", "Export to Excel": "导出 Excel",
    "Export unmasked (audited)": "导出明文（留痕）", "Import from Excel": "从 Excel 导入", "Name": "姓名", "Resident ID number": "公民身份号码",
    "Trade": "工种", "Entry": "进场", "Exit": "退场", "Contract": "劳动合同",
    "Also on another project on overlapping days": "同一时段也在其他项目", "two sites": "两地在场", "signed": "已签", "missing": "未签",
    "Nobody on the roster that you may see.": "花名册中没有您可查看的人员。", "Region": "地区", "All": "全部", "not onboarded": "未纳管",
    "Name or code": "名称或编码", "Filter": "筛选",
    "Fill in the template (one row per worker). Every row is checked first; if any row has an error, nothing is imported and each error is listed with its row and column.":
        "按模板填写（每名工人一行）。系统先逐行校验；任何一行有错误，全部不导入，并逐条列出错误所在的行和列。",
    "Download the template": "下载模板", "Upload and import": "上传并导入", "My recent imports": "我最近的导入", "Uploaded": "上传时间",
    "Rows": "行数", "Show (audited)": "查看明文（留痕）", "Sex": "性别", "Ethnicity": "民族", "Birth date": "出生日期",
    "Native place": "籍贯", "ID card valid until": "身份证有效期至", "long-term": "长期", "Phone": "手机号码", "Wage card": "工资卡",
    "Employments": "用工记录", "Project": "项目", "No employments.": "没有用工记录。", "Sign in to continue.": "请先登录。",
    "This person was registered at the same moment elsewhere; please retry.": "此人刚刚在别处被同时登记，请重试。",
    "Owner's unified social credit code": "建设单位统一社会信用代码", "Owner's name (if not yet registered)": "建设单位名称（未登记时填写）",
    "General contractor's unified social credit code": "施工总承包企业统一社会信用代码",
    "General contractor's name (if not yet registered)": "施工总承包企业名称（未登记时填写）",
    "Contract amount (yuan)": "合同金额（元）", "Labour-cost ratio (0-1)": "人工费比例（0-1）", "Start date": "开工日期",
    "Planned end": "计划竣工日期", "Qualifying project": "符合纳管条件", "Name (if not yet registered)": "名称（未登记时填写）",
    "Exit date": "退场日期", "This enterprise is not registered yet; give its name to register it.": "该企业尚未登记，请填写企业名称以便登记。",
    "Project %(code)s saved.": "项目 %(code)s 已保存。", "Participating enterprise added.": "已增加参建单位。", "Exit recorded.": "已登记退场。",
    "Give a valid exit date.": "请填写有效的退场日期。", "Add participating enterprise": "增加参建单位", "New project": "新建项目",
    "Attendance": "考勤", "in": "进", "out": "出", "unknown": "未知", "face": "人脸", "card": "刷卡", "fingerprint": "指纹",
    "manual": "手工", "supplementary": "补卡", "applied": "已入库", "partly applied": "部分入库", "ingestion batch": "数据批次",
    "ingestion batches": "数据批次", "attendance record": "考勤记录", "attendance records": "考勤记录", "attendance day": "日考勤",
    "attendance days": "日考勤", "Machine interfaces": "接口对接", "site gate system": "闸机考勤系统", "enterprise system": "企业系统",
    "partner bank": "协议银行", "city platform": "市级平台", "key id": "密钥编号", "secret": "密钥", "active": "启用",
    "API client": "接口客户端", "API clients": "接口客户端", "Only platform administrators manage API clients.": "只有平台管理员可以管理接口客户端。",
    "Unknown client kind.": "未知的客户端类型。", "Unknown project code: %(codes)s": "未知的项目编码：%(codes)s",
    "No enterprise with this unified social credit code.": "没有该统一社会信用代码的企业。", "Bank code is required.": "银行代码必填。",
    "No city with this code.": "没有该代码的市。", "Punched today": "今日打卡人数", "On site now": "当前在场", "On the roster": "花名册在册",
    "By team": "按班组", "By trade": "按工种", "First in": "首次进场", "Last out": "最后离场", "Punches": "打卡次数", "Now": "当前",
    "on site": "在场", "left": "已离场", "No punches today.": "今日暂无打卡。", "Gate devices": "闸机设备", "Device": "设备",
    "Last punch": "最后打卡", "Last data received": "最后收到数据", "offline": "离线", "online": "在线",
    "No device has sent data.": "尚无设备上传数据。", "Day %(day)s; refreshed every 30 seconds.": "日期 %(day)s；每 30 秒刷新。",
    "On site today": "今日在场", "Data quality": "数据质量", "Attendance data quality": "考勤数据质量", "By sender": "按数据来源",
    "Sender": "数据来源", "Batches": "批次", "Records": "记录数", "Rejected": "拒收", "Late rate": "迟报率",
    "Rejection reasons": "拒收原因", "No data received yet.": "尚未收到数据。",
    "By general contractor: punches of people not on the roster": "按总包企业：未在花名册人员的打卡",
    "Rejected punches": "拒收打卡", "Latest rejected records": "最近拒收记录", "Received": "接收时间", "Reason": "原因",
    "Propose a project": "申报项目", "File a project": "项目建档", "Save": "保存", "Cancel": "取消",
    "An enterprise with this unified social credit code is already registered.": "该统一社会信用代码的企业已登记。",
    "Only the general contractor or the department may add participating enterprises.": "只有施工总承包企业或主管部门可以增加参建单位。",
    # API clients (issue 4)
    "Kind": "类型", "Client name": "客户端名称",
    "Project codes (gate system; separated by spaces or commas)": "项目编号（闸机系统；以空格或逗号分隔）",
    "Enterprise's unified social credit code (enterprise system)": "企业统一社会信用代码（企业系统）",
    "Bank code (bank)": "银行代码（银行）",
    "City code (city platform)": "城市代码（市级平台）",
    "Client %(key)s enabled.": "客户端 %(key)s 已启用。",
    "Client %(key)s disabled.": "客户端 %(key)s 已停用。",
    "Gate systems, enterprises' systems, banks and city platforms sign each request with their secret (see docs/api.md). A secret is shown once, when it is created or rotated.":
        "闸机系统、企业系统、银行和市级平台以各自的密钥对每个请求签名（见 docs/api.md）。密钥只在创建或轮换时显示一次。",
    "Key id": "密钥编号",
    "Scope": "数据范围",
    "Rotated": "轮换时间",
    "%(n)s project": "%(n)s 个项目",
    "disabled": "已停用",
    "The old secret stops working at once. Rotate?": "旧密钥将立即失效。确定轮换吗？",
    "Rotate secret": "轮换密钥",
    "Disable": "停用",
    "Enable": "启用",
    "No API clients yet.": "尚无接口客户端。",
    "New API client": "新建接口客户端",
    "Create": "创建",
    "API client secret": "接口客户端密钥",
    "Copy the secret now: it is shown only this once and cannot be read again.": "请立即复制密钥：它只显示这一次，之后无法再次查看。",
    "Secret": "密钥",
    "Back to API clients": "返回接口客户端列表",
    # rejection reasons (issue 4)
    "a required field is missing": "缺少必填字段",
    "invalid value": "取值无效",
    "value too long": "取值过长",
    "invalid ID number": "身份证号码无效",
    "time missing, invalid or without its UTC offset": "时间缺失、无效或未带时区偏移",
    "not one of the allowed values": "不在允许的取值范围内",
    "unknown project code": "项目编号不存在",
    "device clock ahead: more than 10 minutes in the future": "设备时钟超前：时间晚于当前 10 分钟以上",
    "not on the project's roster on that day (no real-name registration)": "当日不在该项目花名册（未实名登记）",
    "batch refused as a whole because of another record": "因其他记录整批拒收",
    "Last 30 days, counting only what each sender sent for the projects you supervise.": "近 30 天，仅统计各数据来源为您监管的项目报送的数据。",
}


def fill(po_path: Path) -> int:
    po = polib.pofile(str(po_path))
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    po.metadata["Language"] = "zh_Hans"
    missing = []
    for entry in po:
        text = ZH.get(entry.msgid)
        if text is None:
            missing.append(entry.msgid)
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = {0: text}
        else:
            entry.msgstr = text
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    po.save()
    for msgid in missing:
        print(f"missing translation: {msgid!r}", file=sys.stderr)
    return len(missing)


if __name__ == "__main__":
    sys.exit(1 if fill(Path(sys.argv[1])) else 0)
