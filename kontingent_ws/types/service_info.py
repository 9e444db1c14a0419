"""Wire format of the ServiceInfo contract: what the service is and whether it is healthy."""

from __future__ import annotations

from spyne import Array, ComplexModel, Unicode

from kontingent_ws.types.common import (
    OptionalCount,
    RequiredText,
    contract_namespace,
)

NAMESPACE = contract_namespace("ServiceInfo")

DatabaseState = Unicode(
    values=["ok", "unavailable"],
    type_name="DatabaseState",
    __namespace__=NAMESPACE,
    min_occurs=1,
    nillable=False,
    doc="Состояние базы данных: ok – доступна, unavailable – недоступна",
)


class ServedContract(ComplexModel):
    """One published contract and where its WSDL is."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Name", RequiredText(doc="Имя контракта")),
        ("Namespace", RequiredText(doc="Целевое пространство имён контракта")),
        ("WsdlPath", RequiredText(doc="Путь к WSDL относительно адреса сервиса")),
    ]


class DatabaseStatus(ComplexModel):
    """Reachability of the database and its kind."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("State", DatabaseState),
        ("Backend", RequiredText(doc="Тип СУБД: postgresql или sqlite")),
    ]


class ServiceInfo(ComplexModel):
    """Answer of GetServiceInfo."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("Version", RequiredText(doc="Версия сервиса")),
        ("Contracts", Array(ServedContract, min_occurs=1, nillable=False)),
        ("Database", DatabaseStatus.customize(min_occurs=1, nillable=False)),
        ("OrganizationCount", OptionalCount(doc="Число образовательных организаций в реестре")),
        ("StudentCount", OptionalCount(doc="Число обучающихся в реестре")),
    ]
