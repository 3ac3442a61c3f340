"""A 企业微信 / 政务微信 group robot per township group: caseworkers hear of alerts where they already are.

    POST <robot webhook URL>  {"msgtype": "markdown", "markdown": {"content": ...}}  -> {"errcode": 0, ...}

The message has the rule in words, the township, the deadline and a link to the case: never a name or
an ID number (not even masked). A robot takes 20 messages a minute (`robot_per_minute`): the budget is
a sliding minute in Redis, shared by every notifier instance. A notification that finds the budget
spent is held (Redis list, metric `safetynet_notifier_robot_held_total`) and goes out grouped with the
next message, or as one digest as soon as the minute frees a slot. An errcode other than 0 is a
failed send (DeliveryError) for the notifier's retry and dead-letter path; -1 (busy) and 45009
(over the limit) are worth retrying, the others (a wrong key, a bad body) are not.
"""
from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from zoneinfo import ZoneInfo

import httpx

from consumers.cases.sla import sla_for
from consumers.notifier import metrics
from consumers.notifier.channels import DeliveryError
from consumers.notifier.grouping import Notification
from schemas.cases import case_id_for_alert
from schemas.townships import places

log = logging.getLogger(__name__)
LOCAL = ZoneInfo("Asia/Shanghai")
MAX_BYTES = 4096  # the robot's limit for markdown content
RETRYABLE = {-1, 45009}
RULE_WORDS = {
    "medical_burden": "医疗支出负担：一年内医疗个人自付累计达 3 万元",
    "expenditure_hardship": "支出型困难：扣除医疗、教育刚性支出后家庭人均收入低于低保标准",
    "new_severe_disability": "新增重度残疾：新办或变更为一、二级残疾证",
    "education_burden": "教育支出负担：学生年度净教育支出达 8000 元",
    "income_shock": "收入骤降：在保家庭成员失业登记或户主灾害损失达 1 万元",
    "deceased_recipient": "死亡人员仍在保：有死亡记录，应停发待遇",
    "disability_mismatch": "残疾认定不符：以残疾认定的在保人员残疾证注销或降级",
    "rural_unassisted": "防返贫监测对象未获救助：乡村振兴部门纳入监测，民政未在保",
    "moved_away": "在保人员户籍迁出本市",
    "incarcerated": "在保人员服刑",
    "vehicle_owner": "在保人员登记 5 万元以上轿车或客车",
    "property_holder": "在保家庭持有两套以上住宅或商业、办公、工业用房",
    "business_owner": "在保人员设立公司或注册资本 10 万元以上的个体工商户",
}
SEVERITY = {"low": "低", "medium": "中", "high": "高", "critical": "紧急"}
# Take one slot of the sliding minute if one is free: 1, else 0.
_TAKE_SLOT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - 60)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
  redis.call('EXPIRE', KEYS[1], 120)
  return 1
end
return 0
"""


# ---------------------------------------------------------------- pure: the message


def lines_of(notification: Notification, base_url: str) -> list[str]:
    """One markdown block per alert: rule in words, township, deadline, link. No person in it."""
    blocks = []
    for alert in notification.alerts:
        due = sla_for(alert.rule, alert.kind).due(notification.created_at).astimezone(LOCAL)
        link = f"{base_url.rstrip('/')}/console/cases/{case_id_for_alert(alert.alert_id)}"
        blocks.append(f"**{RULE_WORDS.get(alert.rule, alert.rule)}**\n"
                      f"> 乡镇（街道）：{places().label(alert.township_code)}\n"
                      f"> 紧急程度：<font color=\"warning\">{SEVERITY.get(alert.severity, alert.severity)}</font>\n"
                      f"> 核实时限：{due:%Y-%m-%d %H:%M} 前\n"
                      f"> [查看案件]({link})")
    return blocks


def markdown(notifications: list[Notification], base_url: str) -> str:
    """One message for one notification, or a digest of several, cut to the robot's 4096 bytes."""
    blocks = [block for n in notifications for block in lines_of(n, base_url)]
    head = "### 救助预警" if len(blocks) == 1 else f"### 救助预警（{len(blocks)} 条合并发送）"
    content, shown = head, 0
    for block in blocks:
        candidate = f"{content}\n\n{block}"
        if len((candidate + "\n\n…另有 999 条，请在工作台收件箱查看").encode()) > MAX_BYTES:
            break
        content, shown = candidate, shown + 1
    if shown < len(blocks):
        content += f"\n\n…另有 {len(blocks) - shown} 条，请在工作台收件箱查看"
    return content


# ---------------------------------------------------------------- the channel


class RobotChannel:
    name = "robot"

    def __init__(self, client: httpx.AsyncClient, redis, *, group: str, url: str, per_minute: int, base_url: str,
                 now: Callable[[], float] = time.time) -> None:
        self.client, self.redis, self.group, self.url = client, redis, group, url
        self.per_minute, self.base_url, self.now = per_minute, base_url, now
        robot = hashlib.sha256(url.encode()).hexdigest()[:16]  # the URL holds the robot's key: never in Redis keys
        self.sent_key, self.held_key = f"robot-sent:{robot}", f"robot-held:{robot}"
        self._take_slot = redis.register_script(_TAKE_SLOT)

    async def send(self, notification: Notification) -> None:
        """Post now within the budget (with whatever was held), else hold it for the next slot."""
        if not await self._slot():
            await self.redis.rpush(self.held_key, notification.model_dump_json())
            metrics.ROBOT_HELD.labels(self.group).inc()
            return
        held = await self._take_held()
        try:
            await self._post(markdown([notification, *held], self.base_url))
        except DeliveryError:
            await self._hold_again(held)
            raise

    async def release(self) -> int:
        """Send what was held as one digest when the minute has a slot; returns how many went out."""
        if not await self.redis.llen(self.held_key) or not await self._slot():
            return 0
        held = await self._take_held()
        try:
            await self._post(markdown(held, self.base_url))
        except DeliveryError as exc:
            await self._hold_again(held)
            log.warning("robot digest for %s not sent (%s); kept for the next slot", self.group, exc)
            return 0
        return len(held)

    async def _slot(self) -> bool:
        return bool(await self._take_slot(keys=[self.sent_key], args=[self.now(), self.per_minute, uuid.uuid4().hex]))

    async def _take_held(self) -> list[Notification]:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lrange(self.held_key, 0, -1)
            pipe.delete(self.held_key)
            raw, _ = await pipe.execute()
        return [Notification.model_validate_json(r) for r in raw]

    async def _hold_again(self, held: list[Notification]) -> None:
        if held:
            await self.redis.lpush(self.held_key, *[n.model_dump_json() for n in reversed(held)])

    async def _post(self, content: str) -> None:
        try:
            response = await self.client.post(self.url, json={"msgtype": "markdown", "markdown": {"content": content}})
        except httpx.TransportError as exc:
            raise DeliveryError(f"robot {self.group}: {exc!r}", retryable=True) from exc
        if response.status_code >= 300:
            raise DeliveryError(f"robot {self.group}: HTTP {response.status_code}", retryable=response.status_code >= 500)
        errcode = response.json().get("errcode", -1)
        if errcode != 0:
            raise DeliveryError(f"robot {self.group}: errcode {errcode}", retryable=errcode in RETRYABLE)
