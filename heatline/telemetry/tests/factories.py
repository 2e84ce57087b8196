import factory

from heatline.telemetry.models import Sensor, SensorKind


class SensorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sensor

    code = factory.Sequence(lambda n: f"S-{n:04d}")
    kind = SensorKind.ROOM
