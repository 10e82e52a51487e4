"""The province's partner banks for dedicated wage accounts (协议银行), with the codes used in the API.

Codes are the banks' usual English abbreviations; the list is the big state banks, the national
joint-stock banks and the Shandong city and rural commercial banks that serve construction accounts.
"""
from __future__ import annotations

from django.db import transaction

STATE, JOINT_STOCK, CITY_COMMERCIAL, RURAL = "state", "joint_stock", "city_commercial", "rural_commercial"

BANKS: tuple[tuple[str, str, str], ...] = (
    ("ICBC", "中国工商银行", STATE), ("ABC", "中国农业银行", STATE), ("BOC", "中国银行", STATE),
    ("CCB", "中国建设银行", STATE), ("BOCOM", "交通银行", STATE), ("PSBC", "中国邮政储蓄银行", STATE),
    ("CITIC", "中信银行", JOINT_STOCK), ("CEB", "中国光大银行", JOINT_STOCK), ("HXB", "华夏银行", JOINT_STOCK),
    ("CMBC", "中国民生银行", JOINT_STOCK), ("CMB", "招商银行", JOINT_STOCK), ("CIB", "兴业银行", JOINT_STOCK),
    ("CGB", "广发银行", JOINT_STOCK), ("SPDB", "上海浦东发展银行", JOINT_STOCK), ("PAB", "平安银行", JOINT_STOCK),
    ("CZB", "浙商银行", JOINT_STOCK), ("EGB", "恒丰银行", JOINT_STOCK), ("CBHB", "渤海银行", JOINT_STOCK),
    ("QLB", "齐鲁银行", CITY_COMMERCIAL), ("QDCCB", "青岛银行", CITY_COMMERCIAL), ("WFCCB", "潍坊银行", CITY_COMMERCIAL),
    ("YTCCB", "烟台银行", CITY_COMMERCIAL), ("WHCCB", "威海市商业银行", CITY_COMMERCIAL), ("RZB", "日照银行", CITY_COMMERCIAL),
    ("LSCCB", "临商银行", CITY_COMMERCIAL), ("DYCCB", "东营银行", CITY_COMMERCIAL), ("JNCCB", "济宁银行", CITY_COMMERCIAL),
    ("TACCB", "泰安银行", CITY_COMMERCIAL), ("DZCCB", "德州银行", CITY_COMMERCIAL), ("LWCCB", "莱商银行", CITY_COMMERCIAL),
    ("ZZCCB", "枣庄银行", CITY_COMMERCIAL), ("QSCCB", "齐商银行", CITY_COMMERCIAL),
    ("SDRCU", "山东省农村信用社联合社（山东农商银行）", RURAL), ("QDRCB", "青岛农村商业银行", RURAL),
)


def banks_load(using: str = "default") -> int:
    """Insert or refresh every partner bank; returns how many there are. Idempotent."""
    from .models import Bank

    with transaction.atomic(using=using):
        for code, name, kind in BANKS:
            Bank.objects.using(using).update_or_create(code=code, defaults={"name": name, "kind": kind})
    return len(BANKS)
