"""E-mail: an outbox written with the change that causes a message, and a
sender that delivers it over SMTP after commit."""
