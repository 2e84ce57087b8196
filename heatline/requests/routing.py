"""第七条.1 classification and dispatch: which words suggest which category, and who gets the job."""

from dataclasses import dataclass

from heatline.core.caches import ProcessCache
from heatline.registry.models import Department, District, Role, Staff, Team, TeamKind
from heatline.requests.models import Category, Kind, ServiceRequest

# Words that make a call an emergency whatever the category (室内跑水, 管网泄漏).
EMERGENCY_WORDS = ("跑水", "漏水", "爆管", "泄漏", "漏汽", "喷水", "水管破裂", "管道破裂", "淹")


@dataclass(frozen=True)
class Suggestion:
    category: Category | None
    kind: str


CATEGORY_CACHE_SECONDS = 30.0


def _categories_load() -> list[Category]:
    return list(
        Category.objects.filter(is_active=True)
        .select_related("department__head")
        .order_by("priority", "code")
    )


# Every intake classifies against them (dropped on Category, Department and Staff saves: apps.py).
CATEGORIES: ProcessCache[list[Category]] = ProcessCache(
    "categories", _categories_load, seconds=CATEGORY_CACHE_SECONDS
)


def categories_active() -> list[Category]:
    """The active categories with their departments (and heads), kept in the process (`CATEGORIES`)."""
    return CATEGORIES.get()


def suggest(content: str, *, categories: list[Category] | None = None) -> Suggestion:
    """Suggest category and kind from what the caller said; the operator has the last word."""
    text = content.strip()
    best: Category | None = None
    best_score = 0
    for category in categories if categories is not None else categories_active():
        score = sum(len(word) for word in category.keyword_list() if word in text)
        if score > best_score:
            best, best_score = category, score
    if any(word in text for word in EMERGENCY_WORDS) and (best is None or best.kind != Kind.EMERGENCY):
        emergency = [c for c in (categories or categories_active()) if c.kind == Kind.EMERGENCY]
        for category in emergency:
            if any(word in text for word in category.keyword_list()):
                return Suggestion(category, Kind.EMERGENCY)
        return Suggestion(emergency[0] if emergency else best, Kind.EMERGENCY)
    return Suggestion(best, best.kind if best else Kind.ROUTINE)


@dataclass(frozen=True)
class Assignment:
    assignee: Staff | None
    team: Team | None
    department: Department | None


def crew_on_duty(district: District | None) -> Team | None:
    crews = Team.objects.filter(kind=TeamKind.REPAIR_CREW, is_on_duty=True).select_related("leader")
    if district is not None:
        own = crews.filter(branch_id=district.branch_id).first()
        if own is not None:
            return own
    return crews.order_by("code").first()


def department_head_for(service_request: ServiceRequest) -> Staff | None:
    department = service_request.department or (
        service_request.category.department if service_request.category else None
    )
    if department is not None and department.head is not None:
        return department.head
    return fallback_department_head()


def fallback_department_head() -> Staff | None:
    """No head named: the first real department head (system accounts have no usable password)."""
    people = Staff.objects.filter(role=Role.DEPT_HEAD, is_active=True).exclude(password__startswith="!")
    return people.order_by("id").first()


def assignment_for(service_request: ServiceRequest, *, district: District | None) -> Assignment:
    """Emergency → the repair crew on duty; routine → the district's responsible person, or the head of
    the category's department when the category says so; later rounds → the department head (第八条)."""
    category = service_request.category
    department = category.department if category else None
    if service_request.round > 1:
        return Assignment(department_head_for(service_request), None, department)
    if service_request.kind == Kind.EMERGENCY:
        crew = crew_on_duty(district)
        leader = crew.leader if crew else None
        return Assignment(leader, crew, department)
    if category is not None and category.route_to_department and department is not None:
        return Assignment(department.head, None, department)
    if district is not None:
        return Assignment(district.responsible, None, department)
    return Assignment(None, None, department)
