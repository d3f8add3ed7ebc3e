# Party membership: wards, members and their fees.

table "wards" {
  schema = schema.tenant
  column "id" {
    type           = bigint
    unsigned       = true
    auto_increment = true
  }
  column "local_level_id" {
    type     = int
    unsigned = true
  }
  column "number" {
    type     = tinyint
    unsigned = true
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "wards_local_level_fk" {
    columns     = [column.local_level_id]
    ref_columns = [table.local_levels.column.id]
  }
  index "wards_local_level_number_unique" {
    unique  = true
    columns = [column.local_level_id, column.number]
  }
}

table "members" {
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
  column "ward_id" {
    type     = bigint
    unsigned = true
  }
  column "membership_no" {
    type = varchar(32)
  }
  column "full_name" {
    type = varchar(191)
  }
  column "full_name_ne" {
    type = varchar(191)
    null = true
  }
  column "gender" {
    type = enum("female", "male", "other")
    null = true
  }
  column "date_of_birth" {
    type = date
    null = true
  }
  column "citizenship_no" {
    type = varchar(32)
    null = true
  }
  column "status" {
    type    = enum("pending", "active", "suspended", "expelled")
    default = "pending"
  }
  column "joined_on" {
    type = date
    null = true
  }
  column "created_at" {
    type    = datetime
    default = sql("CURRENT_TIMESTAMP")
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "members_user_fk" {
    columns     = [column.user_id]
    ref_columns = [table.users.column.id]
    on_delete   = SET_NULL
  }
  foreign_key "members_ward_fk" {
    columns     = [column.ward_id]
    ref_columns = [table.wards.column.id]
  }
  index "members_membership_no_unique" {
    unique  = true
    columns = [column.membership_no]
  }
  index "members_ward_idx" {
    columns = [column.ward_id]
  }
  index "members_status_idx" {
    columns = [column.status]
  }
}

table "membership_fees" {
  schema = schema.tenant
  column "id" {
    type           = bigint
    unsigned       = true
    auto_increment = true
  }
  column "member_id" {
    type     = bigint
    unsigned = true
  }
  column "fiscal_year" {
    type = varchar(9)
  }
  column "amount" {
    type = decimal(10, 2)
  }
  column "paid_on" {
    type = date
    null = true
  }
  column "receipt_no" {
    type = varchar(32)
    null = true
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "membership_fees_member_fk" {
    columns     = [column.member_id]
    ref_columns = [table.members.column.id]
    on_delete   = CASCADE
  }
  index "membership_fees_member_year_unique" {
    unique  = true
    columns = [column.member_id, column.fiscal_year]
  }
}
