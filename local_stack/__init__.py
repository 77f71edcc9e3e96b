"""The local stack: DynamoDB Local, a moto server and an HTTP front for the real handlers."""
