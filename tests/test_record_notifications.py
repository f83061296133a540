"""What a record change tells whom: emails in the person's language, switchable per kind, and
submitted assignments as tasks for the client's connected staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import People, Person
from helpers import deliver
from records_api import REVIEW, SUBMIT, connected, plan
from smtp_sink import SmtpSink

import models
from permissions.roles import Role

SETTINGS = """
mutation Settings($input: NotificationSettingsInput!) {
  updateNotificationSettings(input: $input) {
    notificationSettings { assignmentPlanned assignmentFeedback assignmentSubmitted }
    errors { code }
  }
}
"""

VIEWER_SETTINGS = """
{ viewer { notificationSettings { assignmentPlanned assignmentFeedback assignmentSubmitted } } }
"""

TASKS = """
query Tasks($id: ID!) {
  healthspace(id: $id) {
    myClients(withTasks: true) { nodes { id } totalCount }
    tasks { counts { myClientsWithTasks } myClientsWithTasks { nodes { id } } }
  }
}
"""


async def test_planning_submitting_and_feedback_mail_the_other_side(
    people: People,
    healthspace: models.Healthspace,
    clinician: Person,
    smtp_sink: SmtpSink,
) -> None:
    # given a Dutch-speaking client connected to the clinician
    client = await people.client(healthspace, first_name="Noor", language="nl")
    await connected(client, clinician)

    # when the clinician plans, the client submits and the clinician reviews
    assignment_id = await plan(clinician, client, title="Slaapdagboek")
    await client.data(SUBMIT, id=assignment_id, answer="Ma 23u")
    await clinician.data(REVIEW, id=assignment_id, feedback="Goed gedaan.")

    # then each mail went to the other side, in their language
    mails = {(mail.recipients, mail.subject) for mail in await deliver(smtp_sink)}
    assert mails == {
        ((client.email,), "Een nieuwe opdracht van Praktijk De Linde: Slaapdagboek"),
        (
            (clinician.email,),
            f"{client.account.first_name} {client.account.last_name} "  # type: ignore[union-attr]
            "submitted an assignment: Slaapdagboek",
        ),
        ((client.email,), "Feedback op je opdracht: Slaapdagboek"),
    }


async def test_a_planned_assignment_is_mailed_once_it_is_available(
    client: Person, clinician: Person
) -> None:
    await connected(client, clinician)
    available = datetime.now(UTC) + timedelta(days=2)

    await plan(clinician, client, availableFrom=available.isoformat())

    [mail] = await models.OutboxMessage.filter(to_address=client.email)
    assert abs(mail.next_attempt_at - available) < timedelta(seconds=1)


async def test_each_kind_of_mail_can_be_switched_off(
    client: Person, clinician: Person, smtp_sink: SmtpSink
) -> None:
    # given a connected client and clinician who both switch off one kind of mail
    await connected(client, clinician)
    before = (await client.data(VIEWER_SETTINGS))["viewer"]["notificationSettings"]
    assert before == {
        "assignmentPlanned": True,
        "assignmentFeedback": True,
        "assignmentSubmitted": True,
    }

    changed = await client.data(SETTINGS, input={"assignmentPlanned": False})
    await clinician.data(SETTINGS, input={"assignmentSubmitted": False})
    # when an assignment is planned, submitted and reviewed
    assignment_id = await plan(clinician, client)
    await client.data(SUBMIT, id=assignment_id, answer="done")
    await clinician.data(REVIEW, id=assignment_id, feedback="fine")

    # then only the feedback mail is sent
    assert changed["updateNotificationSettings"]["notificationSettings"] == {
        "assignmentPlanned": False,
        "assignmentFeedback": True,
        "assignmentSubmitted": True,
    }
    subjects = [mail.subject for mail in await deliver(smtp_sink)]
    assert subjects == ["Feedback on your assignment: Sleep diary"]


async def test_a_submitted_assignment_is_a_task_until_it_is_reviewed(
    people: People, healthspace: models.Healthspace, client: Person, clinician: Person
) -> None:
    # given two clinicians connected to the client, and one assignment submitted
    colleague = await people.staff(healthspace, Role.CLINICIAN)
    await connected(client, clinician)
    await connected(client, colleague)
    assignment_id = await plan(clinician, client)
    await client.data(SUBMIT, id=assignment_id, answer="done")

    for staff in (clinician, colleague):
        tasks = (await staff.data(TASKS, id=str(healthspace.id)))["healthspace"]
        assert tasks["myClients"] == {"nodes": [{"id": client.id}], "totalCount": 1}
        assert tasks["tasks"]["counts"]["myClientsWithTasks"] == 1
        assert tasks["tasks"]["myClientsWithTasks"]["nodes"] == [{"id": client.id}]

    # when one of them reviews it, the task is gone for both
    await colleague.data(REVIEW, id=assignment_id, feedback="ok")
    for staff in (clinician, colleague):
        tasks = (await staff.data(TASKS, id=str(healthspace.id)))["healthspace"]
        assert tasks["myClients"]["totalCount"] == 0
        assert tasks["tasks"]["counts"]["myClientsWithTasks"] == 0
