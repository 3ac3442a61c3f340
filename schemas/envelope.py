"""The one shape every department change takes on Kafka.

Money is carried in integer fen (cents) so sums and thresholds are exact. Nothing here holds a
raw ID number, name or phone: people are `person_key` (HMAC) and `masked_id` (first 6 + last 4).
"""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Union

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

PERSON_KEY = r"^[0-9a-f]{64}$"
MASKED_ID = r"^\d{6}\*{8}\d{3}[\dX]$"



class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RosterChange(Event):
    kind: Literal["roster"] = "roster"
    household_id: str = Field(min_length=1, max_length=64)
    relation: str = Field(default="", max_length=32)
    township_code: str = Field(pattern=r"^\d{9}$")
    category: Literal["低保", "特困", "低保边缘", "支出型困难", "防返贫监测"]
    status: Literal["在保", "退出"]
    household_size: int = Field(ge=1, le=100)
    household_income_fen: int = Field(ge=0)
    monthly_benefit_fen: int = Field(ge=0)
    basis_disability: bool  # 认定依据 contains 残疾; the free text itself is not carried
    disability_grade: int | None = Field(default=None, ge=1, le=4)


class MedicalClaim(Event):
    kind: Literal["medical"] = "medical"
    settlement_id: str = Field(min_length=1, max_length=64)
    visit_type: Literal["门诊", "住院", "门特"]
    total_fen: int
    fund_fen: int
    out_of_pocket_fen: int
    provider: str = Field(default="", max_length=128)
    is_reversal: bool = False


class DisabilityCertificate(Event):
    kind: Literal["disability"] = "disability"
    certificate_ref: str = Field(min_length=1, max_length=64)  # 残疾人证号, tokenised when it embeds an ID
    category: Literal["视力", "听力", "言语", "肢体", "智力", "精神", "多重"]
    grade: int = Field(ge=1, le=4)
    action: Literal["新办", "换领", "等级变更", "注销"]


class FuneralRecord(Event):
    kind: Literal["funeral"] = "funeral"
    record_no: str = Field(min_length=1, max_length=64)
    died_on: date
    cremated_on: date | None = None
    facility: str = Field(default="", max_length=128)


class EducationAid(Event):
    """Keyed by the guardian (whose roster status decides); the student is the alert's subject."""

    kind: Literal["education"] = "education"
    student_ref: str = Field(min_length=1, max_length=64)  # 学籍号, tokenised when it embeds an ID
    student_key: str = Field(pattern=PERSON_KEY)
    student_masked_id: str = Field(pattern=MASKED_ID)
    stage: Literal["学前", "小学", "初中", "高中", "中职", "高职", "本科"]
    school_year: str = Field(pattern=r"^\d{4}-\d{4}$")
    tuition_fen: int = Field(ge=0)
    boarding_fen: int = Field(ge=0)
    aid_fen: int = Field(ge=0)

    @property
    def net_cost_fen(self) -> int:
        return self.tuition_fen + self.boarding_fen - self.aid_fen


class EmploymentChange(Event):
    kind: Literal["employment"] = "employment"
    action: Literal["失业登记", "就业登记"]
    employer: str = Field(default="", max_length=128)


class DisasterLoss(Event):
    kind: Literal["disaster"] = "disaster"
    township_code: str = Field(pattern=r"^\d{9}$")
    hazard: str = Field(default="", max_length=64)
    loss_fen: int = Field(ge=0)


class RuralMonitoring(Event):
    """Rural revitalisation bureau, 防返贫监测: natural key 身份证号+业务类型+业务日期."""

    kind: Literal["rural"] = "rural"
    township_code: str = Field(pattern=r"^\d{9}$")
    monitor_type: Literal["脱贫不稳定户", "边缘易致贫户", "突发严重困难户"]
    risk_type: Literal["因病", "因学", "因残", "因灾", "因意外", "因失业", "其他"]
    action: Literal["纳入", "消除"]


class HukouChange(Event):
    """Public security, household registration: natural key 身份证号+业务类型+业务日期."""

    kind: Literal["hukou"] = "hukou"
    action: Literal["死亡注销", "迁出", "迁入", "服刑", "刑满释放"]
    destination_code: str | None = Field(default=None, pattern=r"^\d{6}$")  # 迁往地区代码, 迁出 only


class VehicleRegistration(Event):
    """Traffic police: natural key 号牌号码+业务类型+登记日期. The plate identifies a person: tokenised."""

    kind: Literal["vehicle"] = "vehicle"
    plate_ref: str = Field(min_length=1, max_length=64)
    vehicle_type: Literal["小型轿车", "小型越野车", "中型客车", "货车", "摩托车", "三轮汽车", "残疾人专用车"]
    action: Literal["注册登记", "转入登记", "注销登记"]
    purchase_price_fen: int = Field(ge=0)


class PropertyRegistration(Event):
    """Real-estate registry: natural key 不动产单元号+身份证号+业务类型+登记日期. The unit number is tokenised."""

    kind: Literal["property"] = "property"
    unit_ref: str = Field(min_length=1, max_length=64)
    use: Literal["住宅", "商业", "办公", "工业"]
    floor_area_centi_m2: int = Field(ge=0)  # square metres x 100, exact
    action: Literal["取得", "注销"]


class BusinessRegistration(Event):
    """Market regulation: natural key 统一社会信用代码+业务类型+业务日期."""

    kind: Literal["business"] = "business"
    credit_ref: str = Field(min_length=1, max_length=64)  # 统一社会信用代码, tokenised (a 个体工商户 names a person)
    entity_type: Literal["个体工商户", "有限责任公司", "股份有限公司", "农民专业合作社"]
    registered_capital_fen: int = Field(ge=0)
    action: Literal["设立", "注销"]


PAYLOADS = (RosterChange, MedicalClaim, DisabilityCertificate, FuneralRecord, EducationAid, EmploymentChange,
            DisasterLoss, RuralMonitoring, HukouChange, VehicleRegistration, PropertyRegistration, BusinessRegistration)
Payload = Annotated[Union[PAYLOADS], Field(discriminator="kind")]  # noqa: UP007 (a tuple cannot be spelt with |)
# One feed per payload, named by its `kind`: a new department is a payload here and an adapter in
# producers/<feed>.py; the reader, CLI, topics and replay take their list from FEEDS.
FEEDS: tuple[str, ...] = tuple(model.model_fields["kind"].default for model in PAYLOADS)
FeedName = Literal[FEEDS]  # type: ignore[valid-type]


class Envelope(Event):
    schema_version: Literal[1] = 1
    event_id: str = Field(min_length=16, max_length=64)  # hash of the feed's natural key: re-exports collapse
    feed: FeedName
    source_key: str = Field(max_length=200)  # the natural key, PII-free (IDs inside are tokenised)
    event_time: date  # the date in the row: rules run on event time
    ingested_at: AwareDatetime
    person_key: str = Field(pattern=PERSON_KEY)
    masked_id: str = Field(pattern=MASKED_ID)
    household_id: str | None = None
    township_code: str | None = Field(default=None, pattern=r"^\d{9}$")
    payload: Payload


class DeadLetter(Event):
    """A row we could not take, with where it was and why. Never carries the row's identity."""

    feed: str
    file: str
    line: int
    column: str | None = None
    reason: str
    at: AwareDatetime
