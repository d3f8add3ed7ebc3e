# Accounts and access control, present in every tenant.

table "users" {
  schema = schema.tenant
  column "id" {
    type           = bigint
    unsigned       = true
    auto_increment = true
  }
  column "name" {
    type = varchar(191)
  }
  column "email" {
    type = varchar(191)
  }
  column "phone" {
    type = varchar(20)
    null = true
  }
  column "password_hash" {
    type = varchar(255)
  }
  column "locale" {
    type    = varchar(8)
    default = "ne"
  }
  column "is_active" {
    type    = bool
    default = true
  }
  column "last_login_at" {
    type = datetime
    null = true
  }
  column "created_at" {
    type    = timestamp
    default = sql("CURRENT_TIMESTAMP")
  }
  column "updated_at" {
    type = datetime
    null = true
  }
  primary_key {
    columns = [column.id]
  }
  index "users_email_unique" {
    unique  = true
    columns = [column.email]
  }
}

table "roles" {
  schema = schema.tenant
  column "id" {
    type           = bigint
    unsigned       = true
    auto_increment = true
  }
  column "name" {
    type = varchar(64)
  }
  column "description" {
    type = varchar(255)
    null = true
  }
  primary_key {
    columns = [column.id]
  }
  index "roles_name_unique" {
    unique  = true
    columns = [column.name]
  }
}

table "permissions" {
  schema = schema.tenant
  column "id" {
    type           = bigint
    unsigned       = true
    auto_increment = true
  }
  column "name" {
    type = varchar(128)
  }
  column "guard" {
    type    = varchar(32)
    default = "web"
  }
  primary_key {
    columns = [column.id]
  }
  index "permissions_name_guard_unique" {
    unique  = true
    columns = [column.name, column.guard]
  }
}

table "role_user" {
  schema = schema.tenant
  column "role_id" {
    type     = bigint
    unsigned = true
  }
  column "user_id" {
    type     = bigint
    unsigned = true
  }
  primary_key {
    columns = [column.role_id, column.user_id]
  }
  foreign_key "role_user_role_fk" {
    columns     = [column.role_id]
    ref_columns = [table.roles.column.id]
    on_delete   = CASCADE
  }
  foreign_key "role_user_user_fk" {
    columns     = [column.user_id]
    ref_columns = [table.users.column.id]
    on_delete   = CASCADE
  }
  index "role_user_user_idx" {
    columns = [column.user_id]
  }
}

table "permission_role" {
  schema = schema.tenant
  column "permission_id" {
    type     = bigint
    unsigned = true
  }
  column "role_id" {
    type     = bigint
    unsigned = true
  }
  primary_key {
    columns = [column.permission_id, column.role_id]
  }
  foreign_key "permission_role_permission_fk" {
    columns     = [column.permission_id]
    ref_columns = [table.permissions.column.id]
    on_delete   = CASCADE
  }
  foreign_key "permission_role_role_fk" {
    columns     = [column.role_id]
    ref_columns = [table.roles.column.id]
    on_delete   = CASCADE
  }
  index "permission_role_role_idx" {
    columns = [column.role_id]
  }
}
