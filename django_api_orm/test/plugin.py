"""The pytest plugin of django_api_orm: fixtures ``api_requests`` and ``fake_service``."""
