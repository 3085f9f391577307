from celery import shared_task

from . import delivery, triggers


@shared_task(ignore_result=True)
def deliver(delivery_id):
    delivery.attempt(delivery_id)


@shared_task(expires=10, ignore_result=True)
def deliver_due():
    """Beat: deliveries due again after a failure, or lost with a worker."""
    for pk in delivery.due():
        deliver.delay(pk)


@shared_task(expires=30, ignore_result=True)
def notify_of_deadlines():
    """Beat: waits that end soon."""
    triggers.notify_of_deadlines()
