"""The doors: each platform's adapter onto ChatService, and the parts they share."""
