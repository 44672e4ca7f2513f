DROP INDEX "refresh_tokens_user_idx";--> statement-breakpoint
DROP INDEX "security_events_at_idx";--> statement-breakpoint
CREATE INDEX "refresh_tokens_user_family_idx" ON "refresh_tokens" USING btree ("user_id","family_id");--> statement-breakpoint
CREATE INDEX "security_events_type_at_idx" ON "security_events" USING btree ("type","at","id");--> statement-breakpoint
CREATE INDEX "users_active_role_idx" ON "users" USING btree ("active","role");--> statement-breakpoint
CREATE INDEX "security_events_at_idx" ON "security_events" USING btree ("at","id");