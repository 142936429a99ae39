"""The provider: a Django REST framework API over SQLite that the example consumes."""
