# Elections: constituencies, the party's candidates, polling stations and
# results as the party's agents report them.

table "constituencies" {
  schema = schema.tenant
  column "id" {
    type           = int
    unsigned       = true
    auto_increment = true
  }
  column "district_id" {
    type     = smallint
    unsigned = true
  }
  column "number" {
    type     = tinyint
    unsigned = true
  }
  column "kind" {
    type = enum("federal", "provincial")
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "constituencies_district_fk" {
    columns     = [column.district_id]
    ref_columns = [table.districts.column.id]
  }
  index "constituencies_district_number_unique" {
    unique  = true
    columns = [column.district_id, column.kind, column.number]
  }
}

table "candidates" {
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
  column "constituency_id" {
    type     = int
    unsigned = true
  }
  column "election_year" {
    type     = smallint
    unsigned = true
  }
  column "system" {
    type    = enum("fptp", "proportional")
    default = "fptp"
  }
  column "nominated_on" {
    type = date
    null = true
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "candidates_member_fk" {
    columns     = [column.member_id]
    ref_columns = [table.members.column.id]
  }
  foreign_key "candidates_constituency_fk" {
    columns     = [column.constituency_id]
    ref_columns = [table.constituencies.column.id]
  }
  index "candidates_member_idx" {
    columns = [column.member_id]
  }
  index "candidates_constituency_year_idx" {
    columns = [column.constituency_id, column.election_year]
  }
}

table "polling_stations" {
  schema = schema.tenant
  column "id" {
    type           = bigint
    unsigned       = true
    auto_increment = true
  }
  column "constituency_id" {
    type     = int
    unsigned = true
  }
  column "ward_id" {
    type     = bigint
    unsigned = true
    null     = true
  }
  column "name" {
    type = varchar(191)
  }
  column "registered_voters" {
    type     = int
    unsigned = true
    default  = 0
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "polling_stations_constituency_fk" {
    columns     = [column.constituency_id]
    ref_columns = [table.constituencies.column.id]
  }
  foreign_key "polling_stations_ward_fk" {
    columns     = [column.ward_id]
    ref_columns = [table.wards.column.id]
    on_delete   = SET_NULL
  }
  index "polling_stations_constituency_idx" {
    columns = [column.constituency_id]
  }
  index "polling_stations_ward_idx" {
    columns = [column.ward_id]
  }
}

table "election_results" {
  schema = schema.tenant
  column "id" {
    type           = bigint
    unsigned       = true
    auto_increment = true
  }
  column "candidate_id" {
    type     = bigint
    unsigned = true
  }
  column "polling_station_id" {
    type     = bigint
    unsigned = true
  }
  column "votes" {
    type     = int
    unsigned = true
    default  = 0
  }
  column "reported_at" {
    type = datetime
    null = true
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "election_results_candidate_fk" {
    columns     = [column.candidate_id]
    ref_columns = [table.candidates.column.id]
    on_delete   = CASCADE
  }
  foreign_key "election_results_station_fk" {
    columns     = [column.polling_station_id]
    ref_columns = [table.polling_stations.column.id]
    on_delete   = CASCADE
  }
  index "election_results_candidate_station_unique" {
    unique  = true
    columns = [column.candidate_id, column.polling_station_id]
  }
  index "election_results_station_idx" {
    columns = [column.polling_station_id]
  }
}

# The election module extends the template's members table: the voter
# registration of each member.
table "members" {
  schema = schema.tenant
  column "voter_id" {
    type = varchar(32)
    null = true
  }
  index "members_voter_id_idx" {
    columns = [column.voter_id]
  }
}
