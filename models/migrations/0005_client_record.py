from tortoise import migrations
from tortoise.migrations import operations as ops
from models.append_only import install, remove
from models.records import ApiTokenScope, AssignmentStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_rate_limits')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ApiToken',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('healthspace', fields.ForeignKeyField('models.Healthspace', source_field='healthspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=100)),
                ('scope', fields.CharEnumField(description='LOG_VIDEO_CALLS: LOG_VIDEO_CALLS', enum_type=ApiTokenScope, max_length=30)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_by', fields.ForeignKeyField('models.Member', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_token', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A token of a Healthspace for an integration such as the video-call service.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Assignment',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('healthspace', fields.ForeignKeyField('models.Healthspace', source_field='healthspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('client', fields.ForeignKeyField('models.Member', source_field='client_id', db_constraint=True, to_field='id', related_name='assignments', on_delete=OnDelete.RESTRICT)),
                ('title', fields.CharField(max_length=200)),
                ('instructions', fields.TextField(default='', unique=False)),
                ('status', fields.CharEnumField(default=AssignmentStatus.PLANNED, description='PLANNED: PLANNED\nIN_PROGRESS: IN_PROGRESS\nSUBMITTED: SUBMITTED\nREVIEWED: REVIEWED', enum_type=AssignmentStatus, max_length=12)),
                ('progress', fields.SmallIntField(default=0)),
                ('available_from', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('due_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('draft_answer', fields.TextField(default='', unique=False)),
                ('answer', fields.TextField(null=True, unique=False)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('feedback', fields.TextField(null=True, unique=False)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('planned_by', fields.ForeignKeyField('models.Member', source_field='planned_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('reviewed_by', fields.ForeignKeyField('models.Member', source_field='reviewed_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'assignment', 'app': 'models', 'indexes': [Index(fields=['client_id', 'status'])], 'pk_attr': 'id', 'table_description': 'A treatment assignment (FHIR Task) planned by staff for one client.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Note',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('healthspace', fields.ForeignKeyField('models.Healthspace', source_field='healthspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('client', fields.ForeignKeyField('models.Member', source_field='client_id', db_constraint=True, to_field='id', related_name='notes', on_delete=OnDelete.RESTRICT)),
                ('author', fields.ForeignKeyField('models.Member', source_field='author_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'note', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A staff-only note in the record of a client, append-only.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VideoCall',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('healthspace', fields.ForeignKeyField('models.Healthspace', source_field='healthspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('client', fields.ForeignKeyField('models.Member', source_field='client_id', db_constraint=True, to_field='id', related_name='video_calls', on_delete=OnDelete.RESTRICT)),
                ('staff', fields.ForeignKeyField('models.Member', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.RESTRICT)),
                ('started_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('duration_seconds', fields.IntField()),
                ('logged_by', fields.ForeignKeyField('models.Member', source_field='logged_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('api_token', fields.ForeignKeyField('models.ApiToken', source_field='api_token_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'video_call', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One video call (FHIR Encounter, class virtual) with when, with whom and how long.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='notification_settings',
            field=fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads),
        ),
        # Notes and audit events are append-only: the database refuses UPDATE and DELETE.
        ops.RunPython(install, remove),
    ]
