"""CSV back-fill: per-row outcomes located by line number."""

from __future__ import annotations

import pytest

from services.monitoring_ingest.domain.adapters import csv_upload
from services.monitoring_ingest.domain.canonical import CanonicalReading, Code, Provenance
from services.monitoring_ingest.domain.normalise import Normaliser
from services.monitoring_ingest.domain.outcomes import MalformedPayload, Refusal, RefusalReason

HEADER = "device_id,reading_id,code,value,unit,observed_at,provenance\n"


def test_good_and_bad_rows_with_line_numbers(normaliser: Normaliser) -> None:
    upload = HEADER + (
        "OXI-1,r1,spo2,96,%,2026-11-20T08:00:00+00:00,device\n"  # line 2
        "OXI-1,,temp,99.1,[degF],2026-11-20T08:00:00+00:00,\n"  # line 3
        "\n"  # line 4: blank rows are skipped
        "OXI-1,r3,acvpu,C,,2026-11-20T08:00:00+00:00,clinician_entered\n"  # line 5
        "OXI-1,r4,hr,fast,/min,2026-11-20T08:00:00+00:00,device\n"  # line 6
        "OXI-1,r5,hr,70,/min,2026-11-20 08:00,device\n"  # line 7
        ",r6,hr,70,/min,2026-11-20T08:00:00+00:00,device\n"  # line 8
        "OXI-1,r7,glucose,5.1,mmol/L,2026-11-20T08:00:00+00:00,device\n"  # line 9
        "OXI-1,r8,hr,70,/min,2026-11-20T08:00:00+00:00\n"  # line 10: one field short
        # lines 11-12: a quoted field spanning two lines
        'OXI-1,"r9\nb",rr,16,/min,2026-11-20T08:00:00+00:00,self_reported\n'
        "OXI-1,r10,rr,16,/min,,device\n"  # line 13
        "OXI-1,r11,rr,,/min,2026-11-20T08:00:00+00:00,device\n"  # line 14
        "OXI-1,r12,rr,16,/min,2026-11-20T08:00:00+00:00,patient\n"  # line 15
        "OXI-1,r13,weight,150,[lb_av],2026-10-01T08:00:00+00:00,device\n"  # line 16: stale
    )
    outcomes = csv_upload.parse(upload.encode(), normaliser=normaliser)
    spo2, temp, acvpu = outcomes[:3]
    assert isinstance(spo2, CanonicalReading) and spo2.code == Code.SPO2_PULSE_OXIMETRY
    assert isinstance(temp, CanonicalReading) and temp.vendor_reading_id is None
    assert temp.provenance is Provenance.DEVICE
    assert isinstance(acvpu, CanonicalReading) and acvpu.code_value == "C"
    multiline = outcomes[8]
    assert (
        isinstance(multiline, CanonicalReading) and multiline.provenance is Provenance.SELF_REPORTED
    )
    refusals = [(o.pointer, o.reason) for o in outcomes if isinstance(o, Refusal)]
    assert refusals == [
        ("line 6", RefusalReason.INVALID_VALUE),
        ("line 7", RefusalReason.NAIVE_TIMESTAMP),
        ("line 8", RefusalReason.MISSING_FIELD),
        ("line 9", RefusalReason.UNKNOWN_CODE),
        ("line 10", RefusalReason.MALFORMED),
        ("line 13", RefusalReason.MISSING_FIELD),
        ("line 14", RefusalReason.MISSING_FIELD),
        ("line 15", RefusalReason.INVALID_VALUE),
        ("line 16", RefusalReason.STALE_TIMESTAMP),
    ]
    # Items count data rows from 0, skipping blank lines.
    assert [o.item for o in outcomes if isinstance(o, Refusal)] == [3, 4, 5, 6, 7, 9, 10, 11, 12]


def test_columns_may_be_reordered_and_bom_is_ignored(normaliser: Normaliser) -> None:
    upload = (
        "\ufeffcode,value,unit,observed_at,device_id,reading_id,provenance\n"
        "sbp,120,mm[Hg],2026-11-23T09:00:00Z,BP-1,x,device\n"
    )
    [reading] = csv_upload.parse(upload, normaliser=normaliser)
    assert isinstance(reading, CanonicalReading)
    assert (reading.code, reading.device_id) == (Code.SYSTOLIC_BP, "BP-1")


@pytest.mark.parametrize(
    "payload",
    ["", "device_id,code,value\nx,hr,1\n", b"\xff\xfe\x00bad", 42],
)
def test_unreadable_uploads_raise(payload: object) -> None:
    with pytest.raises(MalformedPayload):
        csv_upload.parse(payload)
