"""Pure ward-API domain logic: capacity, sitrep, planning, wait-list, NHS number, stays."""
