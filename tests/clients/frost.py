"""Fraunhofer's SensorThings client (PyPI frost-sta-client) against onemap's /sta/v1.1: creates a
station with its location and two datastreams (deep insert), posts observations in bulk (the
Data Array extension), and queries them back with a filter, an expansion and paging. Prints what
it read as JSON for the Rust test to check against the database.

Usage: frost.py SERVICE_URL TOKEN START_ISO
"""

import json
import sys
from datetime import datetime, timedelta

import frost_sta_client as fsc
import requests
from frost_sta_client.model.ext.data_array_document import DataArrayDocument
from frost_sta_client.model.ext.data_array_value import DataArrayValue
from frost_sta_client.model.ext.unitofmeasurement import UnitOfMeasurement
from frost_sta_client.service.auth_handler import AuthHandler
from geojson import Point


class Bearer(AuthHandler):
    """onemap's API tokens go in Authorization: Bearer."""

    def __init__(self, token):
        super().__init__()
        self.token = token

    def add_auth_header(self):
        token = self.token

        def auth(request):
            request.headers["Authorization"] = f"Bearer {token}"
            return request

        return auth


url, token, start = sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])
service = fsc.SensorThingsService(url, auth_handler=Bearer(token))

location = fsc.Location(
    name="北碚水厂取水口", description="嘉陵江", encoding_type="application/geo+json",
    location=Point((106.437, 29.826)))
thing = fsc.Thing(name="北碚水质自动站", description="示例", properties={"kind": "water"}, locations=[location])
service.create(thing)

# Changed by a JSON Patch (RFC 6902), as the client sends one.
service.patch(thing, [{"op": "replace", "path": "/description", "value": "已修补"},
                      {"op": "add", "path": "/properties/owner", "value": "区监测站"}])
patched = service.things().find(thing.id)

sensor = fsc.Sensor(name="COD analyser", description="dichromate", encoding_type="text/plain",
                    metadata="HJ 828-2017")
cod = fsc.ObservedProperty(name="COD", definition="w01018", description="化学需氧量")
nh3 = fsc.ObservedProperty(name="NH3-N", definition="w21003", description="氨氮")
unit = UnitOfMeasurement(name="milligram per litre", symbol="mg/L", definition="http://qudt.org/vocab/unit/MilliGM-PER-L")
service.create(sensor)
streams = []
for prop in (cod, nh3):
    # Deep insert: each datastream creates its observed property and links the thing and the sensor.
    ds = fsc.Datastream(name=f"北碚 {prop.name}", description="hourly", unit_of_measurement=unit,
                        observation_type="http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
                        thing=fsc.Thing(id=thing.id), sensor=fsc.Sensor(id=sensor.id), observed_property=prop)
    service.create(ds)
    streams.append(ds)

document = DataArrayDocument()
for n, ds in enumerate(streams):
    dav = DataArrayValue()
    dav.datastream = ds
    dav.components = {DataArrayValue.Property.PHENOMENON_TIME, DataArrayValue.Property.RESULT}
    for hour in range(48):
        t = (start + timedelta(hours=hour)).isoformat()
        value = round(10 + n + (hour % 24) * 0.5, 3)
        dav.add_observation(fsc.Observation(phenomenon_time=t, result=value, datastream=ds))
    document.add_data_array_value(dav)
links = service.observations().create(document)

cod_stream = streams[0]
high = service.observations().query().filter(
    f"Datastream/id eq {cod_stream.id} and result gt 18 and phenomenonTime ge {start.isoformat()}").orderby(
    "phenomenonTime", "ASC").top(1000).list()
expanded = service.things().query().filter(f"id eq {thing.id}").expand(
    "Datastreams($orderby=id asc;$expand=ObservedProperty,Observations($top=3;$orderby=phenomenonTime desc)),Locations").list()
things = expanded.entities
pages, seen, count = 0, [], None
page = service.observations().query().filter(f"Datastream/id eq {cod_stream.id}").top(10).count().list()
count = page.count
while True:
    pages += 1
    seen.extend(o.id for o in page.entities)
    if page.next_link is None:
        break
    # The client's own iterator reads on from @iot.nextLink; here each page is fetched as it says.
    body = requests.get(page.next_link, headers={"Authorization": f"Bearer {token}"}).json()
    page = fsc.utils.transform_json_to_entity_list(body, "frost_sta_client.model.observation.Observation")

print(json.dumps({
    "thing": thing.id,
    "patched": [patched.description, patched.properties],
    "datastreams": [d.id for d in streams],
    "sensor": sensor.id,
    "links": len(links),
    "high": [[o.id, o.result] for o in high.entities],
    "expanded": {
        "datastreams": [[d.id, d.observed_property.name, [o.result for o in d.observations.entities]]
                        for d in things[0].datastreams.entities],
        "locations": [loc.id for loc in things[0].locations.entities],
    },
    "pages": pages,
    "paged": seen,
    "count": count,
}))
