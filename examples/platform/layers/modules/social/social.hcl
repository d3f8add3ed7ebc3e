# A members' social feed: posts, comments and reactions.

table "posts" {
  schema = schema.tenant
  column "id" {
    type           = bigint
    unsigned       = true
    auto_increment = true
  }
  column "author_id" {
    type     = bigint
    unsigned = true
  }
  column "body" {
    type = text
  }
  column "visibility" {
    type    = enum("public", "members", "committee")
    default = "members"
  }
  column "published_at" {
    type = datetime
    null = true
  }
  column "created_at" {
    type    = datetime
    default = sql("CURRENT_TIMESTAMP")
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "posts_author_fk" {
    columns     = [column.author_id]
    ref_columns = [table.users.column.id]
    on_delete   = CASCADE
  }
  index "posts_author_idx" {
    columns = [column.author_id]
  }
  index "posts_published_idx" {
    columns = [column.published_at]
  }
}

table "comments" {
  schema = schema.tenant
  column "id" {
    type           = bigint
    unsigned       = true
    auto_increment = true
  }
  column "post_id" {
    type     = bigint
    unsigned = true
  }
  column "author_id" {
    type     = bigint
    unsigned = true
  }
  column "body" {
    type = text
  }
  column "created_at" {
    type    = datetime
    default = sql("CURRENT_TIMESTAMP")
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "comments_post_fk" {
    columns     = [column.post_id]
    ref_columns = [table.posts.column.id]
    on_delete   = CASCADE
  }
  foreign_key "comments_author_fk" {
    columns     = [column.author_id]
    ref_columns = [table.users.column.id]
    on_delete   = CASCADE
  }
  index "comments_post_idx" {
    columns = [column.post_id]
  }
  index "comments_author_idx" {
    columns = [column.author_id]
  }
}

table "reactions" {
  schema = schema.tenant
  column "post_id" {
    type     = bigint
    unsigned = true
  }
  column "user_id" {
    type     = bigint
    unsigned = true
  }
  column "kind" {
    type    = enum("like", "support", "celebrate")
    default = "like"
  }
  primary_key {
    columns = [column.post_id, column.user_id]
  }
  foreign_key "reactions_post_fk" {
    columns     = [column.post_id]
    ref_columns = [table.posts.column.id]
    on_delete   = CASCADE
  }
  foreign_key "reactions_user_fk" {
    columns     = [column.user_id]
    ref_columns = [table.users.column.id]
    on_delete   = CASCADE
  }
  index "reactions_user_idx" {
    columns = [column.user_id]
  }
}

# Profiles on the feed show a picture: the social module extends users.
table "users" {
  schema = schema.tenant
  column "avatar_url" {
    type = varchar(255)
    null = true
  }
}
