"""The scheduled pull's state per appliance: its watermark, claim and last run."""

from django.db import models

from appliances.models import Appliance


class PullState(models.Model):
    """Where the scheduled pull of one appliance stands."""

    appliance = models.OneToOneField(
        Appliance, on_delete=models.CASCADE, related_name="pull_state"
    )
    # The end of the last window the pull fully reconciled. Webhook imports never
    # move it, so a lost webhook is always inside the next window.
    watermark = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField(
        null=True, blank=True, help_text="When an administrator last asked for a pull."
    )
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_window_start = models.DateTimeField(null=True, blank=True)
    last_listed = models.PositiveIntegerField(default=0)
    last_new = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # Set while a pull runs; a conditional update on it lets one pull run at a
    # time, and a crashed run's claim simply expires.
    running_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "support_sessions"
        ordering = ["appliance__name"]
        verbose_name = "pull state"
        verbose_name_plural = "Pull Support Sessions"

    def __str__(self) -> str:
        return f"Pull of {self.appliance}"

    @property
    def last_known(self) -> int:
        return max(self.last_listed - self.last_new, 0)
