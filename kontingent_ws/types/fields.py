"""Field shapes the registry contracts (Students, Organizations, Authorities) share."""

from __future__ import annotations

from spyne import Boolean, Date, DateTime, Decimal, Integer, Unicode

RequiredId = Integer(min_occurs=1, nillable=False)
"""An identifier that must be present."""
OptionalId = Integer(min_occurs=0, nillable=False)
"""An identifier that may be absent."""
RequiredFlag = Boolean(min_occurs=1, nillable=False)
OptionalFlag = Boolean(min_occurs=0, nillable=False)
RequiredDate = Date(min_occurs=1, nillable=False)
OptionalDate = Date(min_occurs=0, nillable=False)
RequiredMoment = DateTime(min_occurs=1, nillable=False)
OptionalNumber = Decimal(min_occurs=0, nillable=False)
OptionalInteger = Integer(min_occurs=0, nillable=False)
RequiredInteger = Integer(min_occurs=1, nillable=False)
PageNumber = Integer(min_occurs=1, nillable=False, doc="Номер страницы, начиная с 1")
PageSize = Integer(min_occurs=1, nillable=False, doc="Размер страницы (не больше предельного размера сервиса)")
SortBy = Unicode(min_occurs=0, nillable=False, doc="Поле ответа, по которому упорядочить список")
SortDirection = Unicode(min_occurs=0, nillable=False, doc="Направление сортировки: asc (по возрастанию, по "
                        "умолчанию) или desc (по убыванию)")
