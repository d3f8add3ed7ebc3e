# Per-tenant settings and the audit trail, present in every tenant.

table "settings" {
  schema = schema.tenant
  column "key" {
    type = varchar(128)
  }
  column "value" {
    type = json
    null = true
  }
  column "updated_at" {
    type = datetime
    null = true
  }
  primary_key {
    columns = [column.key]
  }
}

table "audit_logs" {
  schema = schema.tenant
  column "id" {
    type           = bigint
    unsigned       = true
    auto_increment = true
  }
  column "user_id" {
    type     = bigint
    unsigned = true
    null     = true
  }
  column "action" {
    type = varchar(64)
  }
  column "subject_type" {
    type = varchar(128)
    null = true
  }
  column "subject_id" {
    type     = bigint
    unsigned = true
    null     = true
  }
  column "changes" {
    type = json
    null = true
  }
  column "ip_address" {
    type = varchar(45)
    null = true
  }
  column "created_at" {
    type    = datetime
    default = sql("CURRENT_TIMESTAMP")
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "audit_logs_user_fk" {
    columns     = [column.user_id]
    ref_columns = [table.users.column.id]
    on_delete   = SET_NULL
  }
  index "audit_logs_subject_idx" {
    columns = [column.subject_type, column.subject_id]
  }
  index "audit_logs_created_idx" {
    columns = [column.created_at]
  }
}
