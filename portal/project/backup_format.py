"""The backup's JSON: Django's JSON serializer, but times keep their microseconds (Django's encoder
cuts them to milliseconds, which a restore must not do)."""

import datetime as dt

from django.core.serializers.json import (
    Deserializer,  # noqa: F401 - the format's reader
    DjangoJSONEncoder,
)
from django.core.serializers.json import Serializer as JSONSerializer


class ExactEncoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, (dt.datetime, dt.time)):
            return o.isoformat()
        return super().default(o)


class Serializer(JSONSerializer):
    def _init_options(self):
        self.options["cls"] = ExactEncoder
        super()._init_options()
