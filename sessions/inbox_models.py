"""The receiver's narrow landing table, used with RECEIVER_DISPATCH=outbox."""

from django.db import models

from appliances.models import Appliance


class InboxPost(models.Model):
    """A post as it arrived, before it is read: the request's only write.

    The dispatcher turns each row into an outbound event (parsed, classified,
    deduplicated) and deletes it, so this table stays near empty.
    """

    appliance = models.ForeignKey(
        Appliance, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    raw_body = models.BinaryField()
    body_truncated = models.BooleanField(default=False)
    content_type = models.CharField(max_length=200, blank=True)
    peer_address = models.GenericIPAddressField(null=True, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        verbose_name = "received post (not yet read)"

    def __str__(self) -> str:
        return f"post {self.pk} from {self.peer_address}"
