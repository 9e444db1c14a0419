"""The contracts this service publishes, in order. A new contract is one more line in CONTRACTS."""

from __future__ import annotations

from dataclasses import dataclass

from spyne import ServiceBase

from kontingent_ws.services.administration import AdministrationService
from kontingent_ws.services.authorities import AuthoritiesService
from kontingent_ws.services.changefeed import ChangeFeedService
from kontingent_ws.services.epgu import EpguPerformanceService
from kontingent_ws.services.intake import IntakeService
from kontingent_ws.services.organizations import OrganizationsService
from kontingent_ws.services.reports import ReportsService
from kontingent_ws.services.service_info import ServiceInfoService
from kontingent_ws.services.students import StudentsService
from kontingent_ws.types.common import contract_namespace

WS_PREFIX = "/ws/"
"""URL path under which every contract is mounted: ``/ws/<Name>``."""


@dataclass(frozen=True, kw_only=True)
class Contract:
    """One published SOAP contract."""

    name: str
    """Name in URLs and in the WSDL, e.g. ``ServiceInfo``."""
    services: tuple[type[ServiceBase], ...]
    """Spyne service classes whose operations make up the contract."""
    version: str = "1.0"
    """Contract version, part of its target namespace."""

    @property
    def namespace(self) -> str:
        """Target namespace, ``urn://kontingent-region.ru/ws/<name>/<version>``."""
        return contract_namespace(self.name, self.version)

    @property
    def path(self) -> str:
        """URL path of the endpoint, ``/ws/<Name>``."""
        return f"{WS_PREFIX}{self.name}"

    @property
    def wsdl_path(self) -> str:
        """URL path (with query) of the WSDL, ``/ws/<Name>?wsdl``."""
        return f"{self.path}?wsdl"


CONTRACTS: tuple[Contract, ...] = (
    Contract(name="ServiceInfo", services=(ServiceInfoService,)),
    Contract(name="Administration", services=(AdministrationService,)),
    Contract(name="EpguPerformance", services=(EpguPerformanceService,)),
    Contract(name="ChangeFeed", services=(ChangeFeedService,)),
    Contract(name="Students", services=(StudentsService,)),
    Contract(name="Organizations", services=(OrganizationsService,)),
    Contract(name="Authorities", services=(AuthoritiesService,)),
    Contract(name="Intake", services=(IntakeService,)),
    Contract(name="Reports", services=(ReportsService,)),
)
