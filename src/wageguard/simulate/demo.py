"""The demo province: data from the simulator and one login per role, all idempotent."""
from __future__ import annotations

from dataclasses import dataclass

from wageguard.accounts.models import Bank, WageAccount
from wageguard.core.models import INDUSTRY_AGENCY, Agency, Department, Role
from wageguard.core.services import user_create
from wageguard.registry.models import Employment, Project

DEMO_PASSWORD = "wageguard-demo"


@dataclass
class DemoLogin:
    username: str
    role: str
    sees: str


def demo_project() -> Project | None:
    """The project the demo's logins are made from: the first onboarded one."""
    return Project.objects.filter(onboarded_at__isnull=False).select_related("region__parent", "general_contractor").order_by("code").first()


def demo_worker_employment() -> Employment | None:
    """The employment of the demo's worker login: the demo project's first."""
    project = demo_project()
    return Employment.objects.filter(project=project).select_related("worker", "project").order_by("id").first() if project else None


def demo_users_create() -> list[DemoLogin]:
    """One login per role, chosen from the generated data so that each has something to see."""
    project = demo_project()
    if project is None:
        raise RuntimeError("no onboarded project: run the simulator first")
    city = project.region.parent
    province = city.parent
    worker_employment = demo_worker_employment()
    department = lambda region, agency: Department.objects.get(region=region, agency=agency)  # noqa: E731
    industry_agency = INDUSTRY_AGENCY[project.industry]
    account = WageAccount.objects.filter(project=project).select_related("bank").first() or WageAccount.objects.select_related("bank").first()
    bank = account.bank if account else Bank.objects.get(code="ICBC")
    logins = [
        ("admin", Role.PLATFORM_ADMIN, {"unmask_pii": True}, "平台管理员：全部数据"),
        ("hrss_province", Role.OFFICIAL, {"department": department(province, Agency.HRSS), "unmask_pii": True}, "山东省人社厅：全省所有行业"),
        (f"{industry_agency}_city", Role.OFFICIAL, {"department": department(city, industry_agency)},
         f"{city.name}{department(city, industry_agency).get_agency_display()}：本市本行业项目"),
        ("pboc_province", Role.OFFICIAL, {"department": department(province, Agency.PBOC)}, "人民银行：项目与专户，不含个人信息"),
        ("enterprise_admin", Role.ENTERPRISE_ADMIN, {"enterprise": project.general_contractor, "unmask_pii": True},
         f"{project.general_contractor.name}：本企业参建项目"),
        ("wage_officer", Role.WAGE_OFFICER, {"enterprise": project.general_contractor, "project": project}, f"劳资专管员：{project.name}"),
        ("bank_operator", Role.BANK_OPERATOR, {"bank_code": bank.code}, f"{bank.name}：本行专户与推送记录"),
        ("worker", Role.WORKER, {"worker": worker_employment.worker}, f"农民工 {worker_employment.worker.name}：我的工作与工资、投诉（手机页面）"),
        ("police", Role.POLICE, {"department": department(province, Agency.POLICE)}, "公安：证据包的申请与下载"),
    ]
    result = []
    for username, role, links, sees in logins:
        user_create(username=username, password=DEMO_PASSWORD, role=role, full_name=sees.split("：")[0], **links)
        result.append(DemoLogin(username, role, sees))
    return result
