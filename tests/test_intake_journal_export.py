"""The school journal's own export as a signed packet through SubmitPacket, over a live gunicorn with zeep."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import xmlsec
from sqlalchemy import select

from adapters.foreign_journal import read_journal
from db.engine import make_engine, make_session_factory
from db.models import DiaryMark, InfoSystem, Packet, Person
from kontingent_ws.security.provisioning import new_system
from tests.intakekit import make_world, signed
from tests.live import zeep_client
from tests.pki import make_rsa_identity, write_pem_files
from tests.test_intake_live import RequestSignature

SAMPLES = Path(__file__).parent / "samples"


def test_a_signed_journal_export_is_recognised_by_its_root_and_applied(
    db_url: str, live_server_factory: Callable[..., str], tmp_path: Path
) -> None:
    identity = make_rsa_identity("ELJUR")
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        world = make_world(session)
        new_system(session, mnemonic="ELJUR", name="ЭлЖур", is_provider=True, is_consumer=False,
                   certificate_pem=identity.cert_pem, write_unit_ids=[world.region.north_id], contracts=["Intake"])
        session.commit()
    base = live_server_factory(env={"KONTINGENT_DATA_DIR": str(tmp_path / "data")})
    key, cert = write_pem_files(identity, tmp_path / "pki")
    client = zeep_client(base, "Intake", wsse=RequestSignature(
        str(key), str(cert), signature_method=xmlsec.constants.TransformRsaSha256,
        digest_method=xmlsec.constants.TransformSha256,
    ))
    export = (SAMPLES / "foreign-eljur-clean.xml").read_bytes()
    data = signed(export, identity)

    receipt = client.service.SubmitPacket(PacketXml=data, FileName="eljur.xml")
    again = client.service.SubmitPacket(PacketXml=data, FileName="eljur.xml")
    status = client.service.GetPacketStatus(ReceiptId=receipt.ReceiptId)

    try:
        with engine.connect() as connection:
            packet = connection.execute(select(Packet.format, Packet.external_id, Packet.system_id)).one()
            system_id = connection.execute(select(InfoSystem.id).where(InfoSystem.mnemonic == "ELJUR")).scalar_one()
            people = connection.execute(select(Person.last_name).order_by(Person.last_name)).scalars().all()
            marks = connection.execute(select(DiaryMark.id)).scalars().all()
    finally:
        engine.dispose()
    assert (receipt.Status, status.LoadStatus, status.RowsRejected, status.ErrorsTotal) == ("done", "success", 0, 0)
    assert (again.ReceiptId, again.Duplicate) == (receipt.ReceiptId, True)
    assert (packet.format, packet.external_id, packet.system_id) == ("eljur-2", "EJ-2025-09-15-001", system_id)
    assert people == ["Иванов", "Петрова"]
    assert len(marks) == len(read_journal(export).diary_marks) == 3  # an absence («н») is no mark
