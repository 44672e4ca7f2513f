ALTER TABLE "users" ADD COLUMN "external_id" text;--> statement-breakpoint
CREATE INDEX "users_external_id_idx" ON "users" USING btree ("external_id") WHERE "users"."external_id" is not null;