"""A mixed load against ``kontingent serve`` (gunicorn) and ``kontingent worker`` on PostgreSQL.

Five kinds of calls, every one authenticated for real:

- ``search``: SearchStudents by a surname prefix (first page of 20 with the total);
- ``student``: GetStudentPortfolio of a random student (audited);
- ``organization``: GetOrganizationPortfolio of a random organization;
- ``epgu``: EpguPerformance GetPerformance (a pupil and a registered representative by СНИЛС), the
  SOAP Body signed by a consumer system registered for the run (a pool of signed envelopes);
- ``intake``: Intake SubmitPacket of a small packet (new students with a representative and an
  enrolment) signed by a provider registered for the run, the call itself signed too; small packets
  are loaded within the call. Besides, every ``--bulk-seconds`` one packet over 1 MiB (students with a
  year of period marks) is submitted as ``intake_bulk``: it is queued and applied by the worker.

People call with a WS-Security UsernameToken (PasswordDigest) built at send time with a fresh nonce,
as an employee of the region's root authority (scope checks included). An answer counts as an error
unless it is HTTP 200 without a fault, a ``Performance`` (no refusal) for ``epgu``, and the status
``done`` (small) or ``queued`` (bulk) for intake. After the run the script waits for the worker to
drain its queue and checks that every packet of the run ended ``done`` with no rejected row.

    --mode load   closed loop: ``--clients`` threads send as fast as they can for ``--seconds``;
                  prints requests/s, p50/p99 and errors per kind.
    --mode soak   open loop: arrivals at a fixed ``--rate`` (requests/s over the five kinds) for
                  ``--minutes``; latency counts from the planned arrival (no coordinated omission).
                  Every ``--interval`` seconds: throughput, errors, p50/p99 per kind, RSS and CPU of the
                  gunicorn master, each gunicorn worker and the job worker. Writes the series as JSON,
                  a chart (PNG) and a Markdown report.

    .venv/bin/python bench/load_mix.py --url postgresql+psycopg2://postgres@127.0.0.1:5432/<db> \\
        --mode load --seconds 60 --clients 8
    .venv/bin/python bench/load_mix.py --url postgresql+psycopg2://postgres@127.0.0.1:5432/<db> \\
        --mode soak --rate 25 --minutes 30 --json bench/results/soak.json --chart docs/soak.png \\
        --report docs/soak.md

The server and the worker run from the checkout that holds this script (``PYTHONPATH`` and the working
directory are set to it), with a Fernet key made for the run. The database must hold a demo region
(``kontingent demo``); the run adds one user, two systems and the packets' students to it.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import http.client
import json
import os
import queue
import random
import re
import resource
import secrets
import shlex
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import load_mix_report
import xmlsec
import zeep
from cryptography.fernet import Fernet
from lxml import etree
from serving import free_port, percentile
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import aliased
from zeep.wsse.signature import BinarySignature

from adapters.identifiers import make_snils
from adapters.safexml import parse_bytes
from db.engine import make_engine, make_session_factory
from db.models import Authority, DiaryMark, LegalRepresentative, Organization, Person, Student
from kontingent_ws.demo import DemoConfig
from kontingent_ws.security.caller import EMPLOYEE
from kontingent_ws.security.demo_accounts import self_signed_identity
from kontingent_ws.security.provisioning import new_system, new_user
from kontingent_ws.settings import Settings
from kontingent_ws.xmlsig.packet import sign_packet

ROOT = Path(__file__).resolve().parent.parent
WSDL = ROOT / "wsdl"
KINDS = ("search", "student", "organization", "epgu", "intake")
DEFAULT_WEIGHTS = "search=30,student=25,organization=15,epgu=25,intake=5"
PATHS = {"search": "/ws/Students", "student": "/ws/Students", "organization": "/ws/Organizations",
         "epgu": "/ws/EpguPerformance", "intake": "/ws/Intake", "intake_bulk": "/ws/Intake"}  # fmt: skip
SAMPLES = 2000
EPGU_ENVELOPES = 400
SNILS_FIRST = 999_000_000
"""Bodies of the run's СНИЛС: above every body the demo generator hands out (2,000,000 – 998,999,999)."""
PACKET_NS = "urn://kontingent-region.ru/packet/1.0.0"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
TOKEN_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"  # noqa: S105
NONCE_ENCODING = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
FIRST = ("Иван", "Пётр", "Анна", "Мария", "Олег", "Ольга", "Глеб", "Вера", "Ефим", "Юлия")
LAST = ("Нагрузкин", "Проверкин", "Тестов", "Замеров", "Потоков")
QUARTERS = (("2024-09-02", "2024-10-25"), ("2024-11-05", "2024-12-27"), ("2025-01-09", "2025-03-21"),
            ("2025-03-31", "2025-05-26"))  # fmt: skip
SUBJECTS = ("01", "11", "02", "03", "04")


# --- the run's accounts and samples -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Prepared:
    students: int
    login: str
    password: str
    provider_id: int
    provider: str
    provider_key: Path
    provider_cert: Path
    consumer_key: Path
    consumer_cert: Path
    school_inn: str
    school_kpp: str | None
    student_ids: list[int]
    prefixes: list[str]
    organization_ids: list[int]
    epgu_pairs: list[tuple[str, str]]
    snils_first: int


def prepare(engine: Engine, settings: Settings, workdir: Path) -> Prepared:
    """Register the run's user and systems; draw the samples the calls ask about."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    consumer_key, consumer_cert = self_signed_identity("loadmix-epgu", workdir, "consumer")
    provider_key, provider_cert = self_signed_identity("loadmix-provider", workdir, "provider")
    password = f"Load-{secrets.token_urlsafe(9)}7"
    representative = aliased(Person)
    with make_session_factory(engine).begin() as session:
        students = int(session.scalar(select(func.count()).select_from(Student)) or 0)
        ministry_id = session.scalar(select(Authority.id).where(Authority.parent_id.is_(None)).order_by(Authority.id))
        if ministry_id is None or not students:
            raise SystemExit("the database holds no demo region (run `kontingent demo` first)")
        login = f"loadmix{stamp}"
        new_user(session, settings, login=login, password=password, role=EMPLOYEE, unit_id=ministry_id,
                 full_name="Нагрузочный тест")  # fmt: skip
        new_system(session, mnemonic=f"LOADMIX_EPGU_{stamp}", name="ЕПГУ (нагрузочный тест)", is_provider=False,
                   is_consumer=True, certificate_pem=consumer_cert.read_bytes(),
                   contracts=["EpguPerformance"])  # fmt: skip
        provider = f"loadmix-{stamp}"
        provider_id = new_system(session, mnemonic=provider, name="Поставщик (нагрузочный тест)", is_provider=True,
                                 is_consumer=False, certificate_pem=provider_cert.read_bytes(),
                                 write_unit_ids=[ministry_id], contracts=["Intake"]).id  # fmt: skip
        school = session.execute(
            select(Organization.inn, Organization.kpp)
            .where(Organization.type_code == "12", Organization.inn.is_not(None), Organization.status_code == "1")
            .order_by(Organization.id)
            .limit(1)
        ).one()
        student_ids = list(session.scalars(select(Student.id).order_by(func.random()).limit(SAMPLES)))
        surnames = session.scalars(
            select(Person.last_name).where(Person.id.in_(student_ids[:500])).where(func.length(Person.last_name) >= 3)
        )
        organization_ids = list(session.scalars(select(Organization.id)))
        epgu_pairs = [
            (str(pupil), str(rep))
            for pupil, rep in session.execute(
                select(Person.snils, representative.snils)
                .join(LegalRepresentative, LegalRepresentative.student_id == Person.id)
                .join(representative, representative.id == LegalRepresentative.person_id)
                .where(
                    Person.id >= min(student_ids),
                    Person.snils.is_not(None),
                    representative.snils.is_not(None),
                    LegalRepresentative.valid_to.is_(None),
                    select(DiaryMark.id).where(DiaryMark.student_id == Person.id).exists(),
                )
                .order_by(Person.id)
                .limit(EPGU_ENVELOPES)
            )
        ]
        highest = session.scalar(select(func.max(Person.snils)).where(Person.snils >= make_snils(SNILS_FIRST)))
    if not epgu_pairs:
        raise SystemExit("no pupil with a registered representative and diary marks in the demo data")
    return Prepared(
        students=students, login=login, password=password, provider_id=provider_id, provider=provider,
        provider_key=provider_key, provider_cert=provider_cert, consumer_key=consumer_key,
        consumer_cert=consumer_cert, school_inn=school.inn, school_kpp=school.kpp, student_ids=student_ids,
        prefixes=sorted({s[:3] for s in surnames}), organization_ids=organization_ids, epgu_pairs=epgu_pairs,
        snils_first=int(highest[:9]) + 1 if highest else SNILS_FIRST,
    )  # fmt: skip


# --- request bodies -------------------------------------------------------------------------------


def _signature(key: Path, cert: Path) -> BinarySignature:
    return BinarySignature(str(key), str(cert), signature_method=xmlsec.Transform.RSA_SHA256,
                           digest_method=xmlsec.Transform.SHA256)  # fmt: skip


def _envelope(client: zeep.Client, operation: str, **kwargs: Any) -> bytes:
    return bytes(etree.tostring(client.create_message(client.service, operation, **kwargs)))


_BODY_TAG = re.compile(rb"<([A-Za-z0-9_-]+):Body[ >]")


class PersonBodies:
    """Envelopes of people's calls: the body is built once, the UsernameToken at every send."""

    def __init__(self, login: str, password: str):
        self.login = login
        self.password = password.encode()
        self.templates: dict[str, list[tuple[bytes, bytes, bytes]]] = {}

    def add(self, kind: str, envelopes: list[bytes]) -> None:
        split = []
        for envelope in envelopes:
            match = _BODY_TAG.search(envelope)
            if match is None or b":Header" in envelope[: match.start()]:
                raise SystemExit("unexpected envelope shape from zeep")
            prefix = match.group(1)
            split.append((envelope[: match.start()], prefix, envelope[match.start() :]))
        self.templates[kind] = split

    def security_header(self) -> bytes:
        nonce = os.urandom(16)
        created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        digest = base64.b64encode(hashlib.sha1(nonce + created.encode() + self.password).digest())  # noqa: S324
        return (
            f'<wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}"><wsse:UsernameToken>'
            f"<wsse:Username>{self.login}</wsse:Username>"
            f'<wsse:Password Type="{TOKEN_PROFILE}#PasswordDigest">{digest.decode()}</wsse:Password>'
            f'<wsse:Nonce EncodingType="{NONCE_ENCODING}">{base64.b64encode(nonce).decode()}</wsse:Nonce>'
            f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>"
        ).encode()

    def body(self, kind: str, rng: random.Random) -> bytes:
        head, prefix, tail = rng.choice(self.templates[kind])
        return b"".join((head, b"<", prefix, b":Header>", self.security_header(), b"</", prefix, b":Header>", tail))


def person_bodies(prepared: Prepared, rng: random.Random) -> PersonBodies:
    bodies = PersonBodies(prepared.login, prepared.password)
    students = zeep.Client(str(WSDL / "Students.wsdl"))
    organizations = zeep.Client(str(WSDL / "Organizations.wsdl"))
    bodies.add("search", [_envelope(students, "SearchStudents", LastName=p, Page=1, PageSize=20)
                          for p in prepared.prefixes])  # fmt: skip
    bodies.add("student", [_envelope(students, "GetStudentPortfolio", StudentId=i) for i in prepared.student_ids])
    chosen = rng.sample(prepared.organization_ids, min(SAMPLES, len(prepared.organization_ids)))
    bodies.add("organization", [_envelope(organizations, "GetOrganizationPortfolio", OrganizationId=i)
                                for i in chosen])  # fmt: skip
    return bodies


def epgu_bodies(prepared: Prepared) -> list[bytes]:
    client = zeep.Client(
        str(WSDL / "EpguPerformance.wsdl"), wsse=_signature(prepared.consumer_key, prepared.consumer_cert)
    )
    year = DemoConfig().school_year
    return [_envelope(client, "GetPerformance", Pupil={"Snils": pupil},
                      Applicant={"Representative": {"Snils": rep}}, Period={"SchoolYear": year})
            for pupil, rep in prepared.epgu_pairs]  # fmt: skip


class Packets:
    """Signed provider packets of new students, each inside a signed SubmitPacket call."""

    def __init__(self, prepared: Prepared):
        self.prepared = prepared
        self.key_pem = prepared.provider_key.read_bytes()
        self.cert_pem = prepared.provider_cert.read_bytes()
        self.client = zeep.Client(
            str(WSDL / "Intake.wsdl"), wsse=_signature(prepared.provider_key, prepared.provider_cert)
        )
        self.next_snils = prepared.snils_first
        self.lock = threading.Lock()
        self.students_sent = 0

    def _snils(self) -> int:
        """The body of a СНИЛС not used before; it also names the person (unique ФИО + birth date + sex)."""
        with self.lock:
            value = self.next_snils
            self.next_snils += 1
        return value

    def packet(self, students: int, marks: bool) -> bytes:
        kpp = f' orgKpp="{self.prepared.school_kpp}"' if self.prepared.school_kpp else ""
        parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<Packet xmlns="{PACKET_NS}" id="loadmix-{uuid.uuid4()}" '
                 f'version="1.0.0" created="{dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}" '
                 f'provider="{self.prepared.provider}" orgInn="{self.prepared.school_inn}"{kpp}>']  # fmt: skip
        if marks:
            parts.append('<ClassGroups><ClassGroup providerRef="g"><Name>5Н</Name><SchoolYear>2024/2025</SchoolYear>'
                         "<ProgramKind>13</ProgramKind><SchoolClass><Grade>5</Grade><Letter>Н</Letter></SchoolClass>"
                         "</ClassGroup></ClassGroups><Subjects>")  # fmt: skip
            parts += [f'<Subject providerRef="sub{n}"><Name>Предмет {n}</Name><BaseSubject>{code}</BaseSubject>'
                      "</Subject>" for n, code in enumerate(SUBJECTS)]  # fmt: skip
            parts.append("</Subjects><StudyPeriods>")
            parts += [f'<StudyPeriod providerRef="q{n}"><Kind>quarter</Kind><Number>{n}</Number>'
                      f"<SchoolYear>2024/2025</SchoolYear><StartDate>{start}</StartDate><EndDate>{end}</EndDate>"
                      "</StudyPeriod>" for n, (start, end) in enumerate(QUARTERS, start=1)]  # fmt: skip
            parts.append("</StudyPeriods>")
        parts.append("<Students>")
        for i in range(students):
            sex = "1" if i % 2 == 0 else "2"
            last = LAST[i % len(LAST)] + ("а" if sex == "2" else "")
            pupil, mother = self._snils(), self._snils()
            parts.append(
                f'<Student providerRef="s{i}"><LastName>{last}</LastName><FirstName>{FIRST[i % len(FIRST)]}'
                f"</FirstName><MiddleName>{letters(pupil)}ович</MiddleName><Sex>{sex}</Sex>"
                f"<BirthDate>2013-{1 + i % 12:02d}-{1 + i % 28:02d}</BirthDate><Citizenship>1</Citizenship>"
                f"<Snils>{make_snils(pupil)}</Snils><Representatives><Representative><Kind>1</Kind><Person>"
                f"<LastName>{LAST[i % len(LAST)]}а</LastName><FirstName>Мать</FirstName>"
                f"<MiddleName>{letters(mother)}овна</MiddleName><Sex>2</Sex>"
                f"<BirthDate>1985-01-{1 + i % 28:02d}</BirthDate><Snils>{make_snils(mother)}</Snils>"
                "</Person></Representative></Representatives></Student>"
            )
        parts.append("</Students><Enrolments>")
        group = "<ClassGroupRef>g</ClassGroupRef>" if marks else ""
        parts += [f'<Enrolment providerRef="e{i}"><StudentRef>s{i}</StudentRef>{group}<ProgramKind>13</ProgramKind>'
                  "<EducationLevel>3</EducationLevel><EducationForm>11</EducationForm>"
                  "<EntryDate>2024-09-01</EntryDate><EntryReason>1</EntryReason></Enrolment>"
                  for i in range(students)]  # fmt: skip
        parts.append("</Enrolments>")
        if marks:
            parts.append("<PeriodMarks>")
            parts += [f'<PeriodMark providerRef="p{i}-{n}-{q}"><StudentRef>s{i}</StudentRef>'
                      f"<SubjectRef>sub{n}</SubjectRef><PeriodRef>q{q}</PeriodRef><SchoolYear>2024/2025</SchoolYear>"
                      f"<Scale>five_point</Scale><Value>{3 + (i + n + q) % 3}</Value></PeriodMark>"
                      for i in range(students) for n in range(len(SUBJECTS)) for q in range(1, 5)]  # fmt: skip
            parts.append("</PeriodMarks>")
        parts.append("</Packet>")
        with self.lock:
            self.students_sent += students
        return "".join(parts).encode()

    def call(self, students: int, marks: bool) -> bytes:
        """A SubmitPacket envelope: the packet signed (enveloped), the call signed (WS-Security)."""
        root = sign_packet(parse_bytes(self.packet(students, marks)), self.key_pem, self.cert_pem)
        signed = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        with self.lock:  # one zeep client, one signer
            return _envelope(self.client, "SubmitPacket", PacketXml=signed, FileName="loadmix.xml")


def letters(number: int) -> str:
    """``number`` written with Russian letters, capitalized: a name part no other person of the run has."""
    alphabet = "абвгдежзиклмнопрстуфхцчшэюя"
    out = ""
    while number:
        number, digit = divmod(number, len(alphabet))
        out = alphabet[digit] + out
    return out.capitalize()


# --- processes ------------------------------------------------------------------------------------




def child_environment(url: str, data_dir: Path, secret_key: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "KONTINGENT_DATABASE_URL": url,
            "KONTINGENT_DATA_DIR": str(data_dir), "KONTINGENT_SECRET_KEY": secret_key}  # fmt: skip


def start_processes(
    env: dict[str, str], workers: int, max_requests: int | None, logdir: Path
) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes], int]:
    """gunicorn (``kontingent serve``) on a free port and one ``kontingent worker``; waits for ``/health``."""
    port = free_port()
    kontingent = str(Path(sys.executable).with_name("kontingent"))
    if max_requests is None:
        command = [kontingent, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    else:  # the same server with the recycling of workers changed
        command = [sys.executable, "-c", "import sys; from kontingent_ws.commands.serve import KontingentServer; "
                   f"KontingentServer({{'bind': ['127.0.0.1:{port}'], 'workers': {workers}, "
                   f"'max_requests': {max_requests}}}).run()"]  # fmt: skip
    with (logdir / "gunicorn.log").open("wb") as log:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    with (logdir / "worker.log").open("wb") as log:
        worker = subprocess.Popen([kontingent, "worker", "--poll-seconds", "1"], env=env, cwd=ROOT, stdout=log,
                                  stderr=subprocess.STDOUT)  # fmt: skip
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as answer:
                if answer.status == 200:
                    return server, worker, port
        except OSError:
            time.sleep(0.1)
    server.terminate()
    worker.terminate()
    raise SystemExit(f"gunicorn did not start; see {logdir / 'gunicorn.log'}")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- measuring ------------------------------------------------------------------------------------


@dataclass
class Record:
    kind: str
    done: float
    """Seconds since the start of the measured run."""
    latency_ms: float
    ok: bool


@dataclass
class Recorder:
    records: list[Record] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, record: Record, error: str | None = None) -> None:
        with self.lock:
            self.records.append(record)
            if error is not None and len(self.errors) < 50:
                self.errors.append(error)




def summarize(records: list[Record], seconds: float) -> dict[str, dict[str, float]]:
    """Per kind and in total: requests, requests/s, errors, p50, p99, max (ms)."""
    out = {}
    kinds = sorted({r.kind for r in records}, key=lambda k: (*KINDS, "intake_bulk").index(k))
    for kind in [*kinds, "total"]:
        chosen = [r for r in records if kind in ("total", r.kind)]
        latencies = [r.latency_ms for r in chosen]
        out[kind] = {"requests": len(chosen), "per_second": round(len(chosen) / seconds, 2) if seconds else 0.0,
                     "errors": sum(not r.ok for r in chosen), "p50_ms": round(percentile(latencies, 0.5), 1),
                     "p99_ms": round(percentile(latencies, 0.99), 1),
                     "max_ms": round(max(latencies), 1) if latencies else 0.0}  # fmt: skip
    return out


_STATUS = re.compile(rb"Status>([a-z_]+)<")


def check(kind: str, status: int, content: bytes) -> str | None:
    """None when the answer is the expected one, else a short reason (no personal data)."""
    if status != 200:
        code = re.search(rb"faultcode>([^<]+)<", content)
        return f"{kind}: HTTP {status} {code.group(1).decode() if code else ''}".strip()
    if b"Fault>" in content:
        return f"{kind}: fault"
    if kind == "epgu" and (b"Refusal>" in content or b"Performance" not in content):
        return "epgu: refusal"
    if kind.startswith("intake"):
        found = _STATUS.search(content)
        expected = "queued" if kind == "intake_bulk" else "done"
        if found is None or found.group(1).decode() != expected:
            return f"{kind}: status {found.group(1).decode() if found else '?'}"
    return None


class Sender:
    """One keep-alive HTTP connection per thread (gunicorn's sync workers close it; it reopens)."""

    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        try:
            self.connection.request("POST", path, body, {"Content-Type": "text/xml; charset=utf-8"})
            answer = self.connection.getresponse()
            return answer.status, answer.read()
        except (OSError, http.client.HTTPException) as exc:
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            return 0, type(exc).__name__.encode()


@dataclass
class Mix:
    people: PersonBodies
    epgu: list[bytes]
    packets: Packets
    small_students: int
    ready_packets: queue.Queue[bytes] = field(default_factory=lambda: queue.Queue(maxsize=30))
    stop: threading.Event = field(default_factory=threading.Event)

    def body(self, kind: str, rng: random.Random) -> bytes:
        if kind == "epgu":
            return rng.choice(self.epgu)
        if kind == "intake":
            return self.ready_packets.get()
        return self.people.body(kind, rng)

    def keep_packets_ready(self) -> None:
        """Background thread: signed small packets are built ahead of their calls."""
        while not self.stop.is_set():
            envelope = self.packets.call(self.small_students, marks=False)
            while not self.stop.is_set():
                try:
                    self.ready_packets.put(envelope, timeout=0.5)
                    break
                except queue.Full:
                    continue


def weighted_cycle(weights: dict[str, int], rng: random.Random) -> list[str]:
    cycle = [kind for kind, weight in weights.items() for _ in range(weight)]
    rng.shuffle(cycle)
    return cycle


def bulk_loop(mix: Mix, port: int, recorder: Recorder, started: float, every: float, students: int) -> None:
    """Every ``every`` seconds one packet over 1 MiB, left by the call to the job worker."""
    sender = Sender(port)
    envelope = mix.packets.call(students, marks=True)
    next_at = started + every / 2
    while not mix.stop.wait(max(0.0, next_at - time.perf_counter())):
        sent = time.perf_counter()
        status, content = sender.post(PATHS["intake_bulk"], envelope)
        error = check("intake_bulk", status, content)
        now = time.perf_counter()
        recorder.add(Record("intake_bulk", now - started, (now - sent) * 1000, error is None), error)
        envelope = mix.packets.call(students, marks=True)
        next_at += every


def run_closed(mix: Mix, port: int, weights: dict[str, int], clients: int, seconds: float,
               recorder: Recorder, started: float) -> None:  # fmt: skip
    """``clients`` threads, each sending the next call of the mix as soon as the last one answered."""
    end = started + seconds

    def client(n: int) -> None:
        rng = random.Random(n)
        cycle = weighted_cycle(weights, rng)
        sender = Sender(port)
        i = 0
        while time.perf_counter() < end:
            kind = cycle[i % len(cycle)]
            i += 1
            body = mix.body(kind, rng)
            sent = time.perf_counter()
            status, content = sender.post(PATHS[kind], body)
            now = time.perf_counter()
            error = check(kind, status, content)
            if now < end:
                recorder.add(Record(kind, now - started, (now - sent) * 1000, error is None), error)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_open(mix: Mix, port: int, weights: dict[str, int], rate: float, seconds: float, pool: int,
             recorder: Recorder, started: float, rng: random.Random) -> int:  # fmt: skip
    """Arrivals every ``1/rate`` s, handed to a pool of ``pool`` threads; latency from the planned arrival.
    Returns the most calls that waited for a free thread at once."""
    jobs: queue.Queue[tuple[str, float] | None] = queue.Queue()
    backlog = 0

    def client(n: int) -> None:
        local = random.Random(n)
        sender = Sender(port)
        while (job := jobs.get()) is not None:
            kind, planned = job
            status, content = sender.post(PATHS[kind], mix.body(kind, local))
            now = time.perf_counter()
            error = check(kind, status, content)
            recorder.add(Record(kind, now - started, (now - planned) * 1000, error is None), error)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(pool)]
    for thread in threads:
        thread.start()
    cycle = weighted_cycle(weights, rng)
    total = int(rate * seconds)
    for i in range(total):
        planned = started + i / rate
        delay = planned - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        jobs.put((cycle[i % len(cycle)], planned))
        backlog = max(backlog, jobs.qsize())
    for _ in threads:
        jobs.put(None)
    for thread in threads:
        thread.join()
    return backlog


class Sampler:
    """Every ``interval`` seconds: the calls finished in it per kind, and RSS/CPU of every process."""

    def __init__(self, recorder: Recorder, server_pid: int, worker_pid: int, started: float, interval: float):
        self.recorder, self.server_pid, self.worker_pid = recorder, server_pid, worker_pid
        self.started, self.interval = started, interval
        self.series: list[dict[str, Any]] = []
        self.seen = 0
        self.cpu: dict[int, float] = {}
        self.own_cpu = self._own_cpu()
        self.last = started
        self.stop = threading.Event()

    @staticmethod
    def _own_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def processes(self) -> dict[str, int]:
        named = {"gunicorn master": self.server_pid}
        for n, pid in enumerate(children(self.server_pid), start=1):
            named[f"gunicorn worker {n}"] = pid
        named["job worker"] = self.worker_pid
        return named

    def sample(self, *, calls: bool = True) -> dict[str, Any]:
        now = time.perf_counter()
        fresh: list[Record] = []
        if calls:
            with self.recorder.lock:
                fresh = self.recorder.records[self.seen :]
                self.seen = len(self.recorder.records)
        seconds = now - self.last
        processes = {}
        for name, pid in self.processes().items():
            cpu = cpu_seconds(pid)
            previous = self.cpu.get(pid)
            self.cpu[pid] = cpu or 0.0
            processes[name] = {"pid": pid, "rss_mib": round(rss_mib(pid) or 0.0, 1),
                               "cpu_percent": round(100 * (cpu - previous) / seconds, 1)
                               if cpu is not None and previous is not None and seconds > 0 else None}  # fmt: skip
        own = self._own_cpu()
        point = {"t_seconds": round(now - self.started, 1), "seconds": round(seconds, 1),
                 "kinds": summarize(fresh, seconds), "processes": processes,
                 "load_average": [round(v, 2) for v in os.getloadavg()],
                 "generator_cpu_percent": round(100 * (own - self.own_cpu) / seconds, 1)
                 if seconds > 0 else 0.0}  # fmt: skip
        self.own_cpu, self.last = own, now
        return point

    def run(self) -> None:
        self.series.append({**self.sample(calls=False), "start": True})  # memory at the start, CPU baselines
        self.last = self.started
        next_at = self.started + self.interval
        while not self.stop.wait(max(0.0, next_at - time.perf_counter())):
            point = self.sample()
            self.series.append(point)
            total = point["kinds"].get("total", {})
            rss = ", ".join(
                f"{name.replace('gunicorn ', '')} {p['rss_mib']:.0f}" for name, p in point["processes"].items()
            )
            print(f"[{point['t_seconds'] / 60:5.1f} min] {total.get('per_second', 0):6.1f} req/s, "
                  f"errors {total.get('errors', 0)}, p50 {total.get('p50_ms', 0):.0f} ms, "
                  f"p99 {total.get('p99_ms', 0):.0f} ms | RSS MiB: {rss} | load {point['load_average'][0]}",
                  flush=True)  # fmt: skip
            next_at += self.interval


def intake_outcome(engine: Engine, provider_id: int, timeout: float) -> dict[str, Any]:
    """Wait until the provider's packets left the queue; their statuses and the journal's rejected rows."""
    deadline = time.monotonic() + timeout
    waited = time.monotonic()
    while True:
        with engine.connect() as connection:
            statuses = dict(connection.execute(
                text("SELECT status, count(*) FROM packet WHERE system_id = :s GROUP BY status"), {"s": provider_id}
            ).all())  # fmt: skip
            journal = connection.execute(
                text("SELECT count(*), coalesce(sum(rows_applied), 0), coalesce(sum(rows_rejected), 0), "
                     "coalesce(max(extract(epoch FROM finished_at - started_at)), 0) "
                     "FROM load_journal WHERE system_id = :s"), {"s": provider_id}).one()  # fmt: skip
        pending = statuses.get("queued", 0) + statuses.get("processing", 0)
        if not pending or time.monotonic() > deadline:
            return {"packets": {k: int(v) for k, v in statuses.items()}, "journal_entries": int(journal[0]),
                    "rows_applied": int(journal[1]), "rows_rejected": int(journal[2]),
                    "longest_load_seconds": round(float(journal[3]), 1),
                    "drain_seconds": round(time.monotonic() - waited, 1)}  # fmt: skip
        time.sleep(2)


def parse_weights(value: str) -> dict[str, int]:
    weights = {}
    for item in value.split(","):
        kind, _, weight = item.partition("=")
        if kind.strip() not in KINDS:
            raise argparse.ArgumentTypeError(f"unknown kind {kind!r}; kinds: {', '.join(KINDS)}")
        weights[kind.strip()] = int(weight)
    return {k: w for k, w in weights.items() if w > 0}


def git_commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", required=True, help="PostgreSQL URL of a database with a demo region")
    parser.add_argument("--mode", choices=("load", "soak"), default="load")
    parser.add_argument("--seconds", type=float, default=60, help="load: measured seconds")
    parser.add_argument("--clients", type=int, default=8, help="load: client threads")
    parser.add_argument("--rate", type=float, default=20, help="soak: arrivals per second")
    parser.add_argument("--minutes", type=float, default=30, help="soak: measured minutes")
    parser.add_argument("--pool", type=int, default=64, help="soak: threads that carry the arrivals")
    parser.add_argument("--warmup", type=float, default=30, help="seconds of the same load before measuring")
    parser.add_argument("--interval", type=float, default=60, help="seconds between samples")
    parser.add_argument("--weights", type=parse_weights, default=parse_weights(DEFAULT_WEIGHTS))
    parser.add_argument("--small-students", type=int, default=2, help="students in each intake packet")
    parser.add_argument("--bulk-seconds", type=float, default=120, help="seconds between bulk packets (0: none)")
    parser.add_argument("--bulk-students", type=int, default=300, help="students in a bulk packet (>1 MiB)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--max-requests", type=int, help="gunicorn max_requests (default: the project's config)")
    parser.add_argument("--json", type=Path, help="write the run (series included) here")
    parser.add_argument("--chart", type=Path, help="soak: write the chart (PNG) here")
    parser.add_argument("--report", type=Path, help="soak: write the Markdown report here")
    args = parser.parse_args()
    command = "PYTHONPATH=. .venv/bin/python " + shlex.join(["bench/load_mix.py", *sys.argv[1:]])

    import kontingent_ws

    print(f"code under test: {Path(kontingent_ws.__file__).parent} (commit {git_commit()})")
    secret_key = Fernet.generate_key().decode()
    os.environ["KONTINGENT_SECRET_KEY"] = secret_key
    workdir = Path(tempfile.mkdtemp(prefix="load-mix-"))
    engine = make_engine(args.url)
    started_prepare = time.perf_counter()
    prepared = prepare(engine, Settings.from_env(), workdir / "pki")
    rng = random.Random(1)
    packets = Packets(prepared)
    mix = Mix(people=person_bodies(prepared, rng), epgu=epgu_bodies(prepared), packets=packets,
              small_students=args.small_students)  # fmt: skip
    print(f"students in the region: {prepared.students:,}; prepared in {time.perf_counter() - started_prepare:.0f} s "
          f"({len(prepared.prefixes)} surname prefixes, {len(prepared.student_ids)} students, "
          f"{len(prepared.epgu_pairs)} ЕПГУ pairs); logs in {workdir}")  # fmt: skip
    env = child_environment(args.url, workdir / "data", secret_key)
    probe = subprocess.run([sys.executable, "-c", "import kontingent_ws; print(kontingent_ws.__file__)"], env=env,
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    print(f"server and worker import {probe}")
    server, worker, port = start_processes(env, args.workers, args.max_requests, workdir)
    builder = threading.Thread(target=mix.keep_packets_ready, daemon=True)
    builder.start()
    recorder = Recorder()
    try:
        if args.warmup > 0:
            warm = Recorder()
            if args.mode == "load":
                run_closed(mix, port, args.weights, args.clients, args.warmup, warm, time.perf_counter())
            else:
                run_open(mix, port, args.weights, args.rate, args.warmup, args.pool, warm, time.perf_counter(), rng)
            print(f"warm-up: {len(warm.records)} calls, {sum(not r.ok for r in warm.records)} errors")
            if warm.errors:
                print("  first: " + "; ".join(warm.errors[:5]))
        started = time.perf_counter()
        began = dt.datetime.now(dt.UTC)
        sampler = Sampler(recorder, server.pid, worker.pid, started, args.interval)
        sampling = threading.Thread(target=sampler.run, daemon=True)
        sampling.start()
        bulk = None
        if args.bulk_seconds > 0:
            bulk = threading.Thread(target=bulk_loop, args=(mix, port, recorder, started, args.bulk_seconds,
                                                            args.bulk_students), daemon=True)  # fmt: skip
            bulk.start()
        backlog = None
        if args.mode == "load":
            run_closed(mix, port, args.weights, args.clients, args.seconds, recorder, started)
            seconds = args.seconds
        else:
            seconds = args.minutes * 60
            backlog = run_open(mix, port, args.weights, args.rate, seconds, args.pool, recorder, started, rng)
        mix.stop.set()
        if bulk is not None:
            bulk.join()
        elapsed = time.perf_counter() - started
        sampler.stop.set()
        sampling.join()
        sampler.series.append(sampler.sample())  # the calls finished after the last full interval
        intake = intake_outcome(engine, prepared.provider_id, timeout=900)
    finally:
        mix.stop.set()
        server.terminate()
        worker.terminate()
        server.wait(timeout=60)
        worker.wait(timeout=60)
        engine.dispose()
    summary = summarize(recorder.records, elapsed)
    own = resource.getrusage(resource.RUSAGE_SELF)
    run = {
        "command": command, "commit": git_commit(), "mode": args.mode,
        "started_at": began.isoformat(timespec="seconds"),
        "seconds": round(elapsed, 1), "rate": args.rate if args.mode == "soak" else None,
        "clients": args.clients if args.mode == "load" else args.pool, "weights": args.weights,
        "gunicorn_workers": args.workers, "max_requests": args.max_requests, "students": prepared.students,
        "small_students": args.small_students, "bulk_seconds": args.bulk_seconds,
        "bulk_students": args.bulk_students, "students_sent": packets.students_sent,
        "max_backlog": backlog, "summary": summary, "intake": intake, "errors": recorder.errors,
        "error_kinds": dict(Counter(e.split(":", 1)[0] for e in recorder.errors)),
        "generator_cpu_seconds": round(own.ru_utime + own.ru_stime, 1), "series": sampler.series,
    }  # fmt: skip
    print(load_mix_report.summary_table(run))
    failures = (
        summary["total"]["errors"]
        + intake["rows_rejected"]
        + sum(n for status, n in intake["packets"].items() if status != "done")
    )
    print(f"intake: {intake}")
    if recorder.errors:
        print("errors (first): " + "; ".join(recorder.errors[:10]))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(run, ensure_ascii=False, indent=1) + "\n")
    if args.chart:
        load_mix_report.chart(run, args.chart)
    if args.report:
        load_mix_report.markdown(run, args.report, chart=args.chart)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
