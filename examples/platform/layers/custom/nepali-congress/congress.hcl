# Nepali Congress only: delegates to the Mahasamiti (general convention) and
# the party's own membership card number on every member.

table "mahasamiti_delegates" {
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
  column "convention_no" {
    type     = tinyint
    unsigned = true
  }
  column "elected_from" {
    type = varchar(64)
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "mahasamiti_delegates_member_fk" {
    columns     = [column.member_id]
    ref_columns = [table.members.column.id]
    on_delete   = CASCADE
  }
  index "mahasamiti_delegates_member_convention_unique" {
    unique  = true
    columns = [column.member_id, column.convention_no]
  }
}

table "members" {
  schema = schema.tenant
  column "active_member_card_no" {
    type = varchar(32)
    null = true
  }
}
