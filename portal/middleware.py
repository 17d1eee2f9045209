from django.utils.functional import SimpleLazyObject

from .access import actor_for


class ActorMiddleware:
    """Attach `request.actor` (the user acting through their active membership)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.actor = SimpleLazyObject(lambda: actor_for(getattr(request, "user", None)))
        return self.get_response(request)
