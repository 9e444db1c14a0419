"""The ServiceInfo contract: version, published contracts, database state and registry size."""

from __future__ import annotations

import logging
from typing import Any

from spyne import ServiceBase
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from db.models import Organization, Student
from kontingent_ws import __version__
from kontingent_ws.services.base import call_of, operation
from kontingent_ws.types.service_info import DatabaseStatus, ServedContract, ServiceInfo

logger = logging.getLogger(__name__)


class ServiceInfoService(ServiceBase):
    """Answers what this service is and whether it can reach its database."""

    @operation(_returns=ServiceInfo.customize(min_occurs=1, nillable=False))
    def GetServiceInfo(ctx: Any) -> ServiceInfo:
        call = call_of(ctx)
        info = ServiceInfo(
            Version=__version__,
            Contracts=[
                ServedContract(Name=c.name, Namespace=c.namespace, WsdlPath=c.wsdl_path)
                for c in call.contracts
            ],
            Database=DatabaseStatus(State="unavailable", Backend=_backend(call.session)),
        )
        try:
            info.OrganizationCount = _count(call.session, Organization)
            info.StudentCount = _count(call.session, Student)
        except SQLAlchemyError as exc:
            logger.warning("database unreachable request_id=%s exception=%s", call.request_id, type(exc).__name__)
            call.session.rollback()
            return info
        info.Database.State = "ok"
        return info


def _backend(session: Session) -> str:
    return session.get_bind().dialect.name


def _count(session: Session, model: type[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)
