"""Carry pydantic models on faust topics and plain aiokafka clients alike."""
from __future__ import annotations

from typing import Any, TypeVar

import faust
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def dumps(model: BaseModel) -> bytes:
    return model.model_dump_json().encode()


def loads(model: type[M], data: bytes) -> M:
    return model.model_validate_json(data)


class PydanticCodec(faust.Codec):
    def __init__(self, model: type[BaseModel], **kwargs: Any) -> None:
        super().__init__(model=model, **kwargs)  # kwargs keep clone() working
        self.model = model

    def _dumps(self, obj: BaseModel) -> bytes:
        return dumps(obj)

    def _loads(self, s: bytes) -> BaseModel:
        return loads(self.model, s)
