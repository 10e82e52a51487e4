"""Workbooks of payroll: a ledger in the statutory layout and the disbursement table officials export.

保障农民工工资支付条例 第五十条 / 第十五条: the written ledger carries the employer's name, the pay period, the
pay date, each worker's name, ID number and contact, working time, gross items and amounts, deductions and
withholdings with amounts, net pay, and the bank's disbursement voucher (here: its transaction id).
"""
from __future__ import annotations

from typing import Iterable

from django.utils import timezone

from wageguard.core.xlsx import new_sheet, to_bytes
from wageguard.registry.models import WageBasis

from .models import Payroll, PayrollLine, ResultStatus

LEDGER_HEADERS = ["序号", "用人单位名称", "工程项目", "支付周期", "支付日期", "姓名", "身份证号码", "联系方式", "出勤天数", "出勤工时",
                  "计薪天数", "计薪方式", "单价（元）", "计件数量", "应发工资（元）", "扣除项目及金额", "扣除合计（元）", "实发工资（元）",
                  "银行卡号", "开户银行", "代发结果", "银行代发凭证号", "到账时间", "备注"]
BASIS = {WageBasis.DAILY: "按日", WageBasis.MONTHLY: "按月", WageBasis.PIECE_RATE: "计件"}
RESULT = {ResultStatus.PAID: "成功", ResultStatus.FAILED: "失败"}
TABLE_HEADERS = ["项目编号", "工程项目", "所属地区", "行业", "用人单位", "统一社会信用代码", "工资月份", "状态", "人数", "应发合计（元）",
                 "已代发（元）", "失败笔数"]


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def statutory_ledger(payroll: Payroll, lines: Iterable[PayrollLine], *, unmasked: bool) -> bytes:
    workbook, sheet = new_sheet(LEDGER_HEADERS, f"工资支付台账 {payroll.month}")
    for n, line in enumerate(lines, start=1):
        worker, result = line.worker, getattr(line, "result", None)
        note = f"重新代发（原第{line.reissue_of_id}号）：{line.reissue_reason}" if line.reissue_of_id else ""
        if getattr(line, "superseded", False):
            note = "已重新代发"
        sheet.append([
            n, payroll.enterprise.name, payroll.project.name, payroll.month, _local(result.paid_at) if result else "",
            worker.name, worker.id_number if unmasked else worker.id_number_masked, worker.phone if unmasked else worker.phone_masked,
            line.days_attended, float(line.hours_attended), line.days_claimed, BASIS.get(line.wage_basis, ""),
            line.wage_rate, line.quantity, line.gross, "；".join(f"{d['reason']} {d['amount']}" for d in line.deductions),
            line.deduction_total, line.net, line.card if unmasked else line.card_masked, line.bank_name,
            RESULT.get(result.status, "") + (f"（{result.reason_code}）" if result and result.reason_code else "") if result else "待银行反馈",
            result.bank_txn_id if result else "", _local(result.paid_at) if result else "", note,
        ])
    return to_bytes(workbook)


def disbursement_table(rows: Iterable[Payroll]) -> bytes:
    workbook, sheet = new_sheet(TABLE_HEADERS, "代发工资汇总")
    for p in rows:
        region = p.project.region
        sheet.append([p.project.code, p.project.name, f"{region.parent.name if region.parent else ''}{region.name}",
                      p.project.get_industry_display(), p.enterprise.name, p.enterprise.uscc, p.month, str(p.get_status_display()),
                      p.workers, p.net_total, p.paid_total, p.failed])
    return to_bytes(workbook)
