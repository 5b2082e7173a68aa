// Generated from core/src/profiles/emoncms/decide.rs (Reason::code → Reason::explain) by
// host-tests/browser/reasons-from-rust.mjs --write; host-tests/browser/reasons.test.mjs fails when
// this file and the engine disagree. The engine's `catalog` op does not carry these sentences.

/** emoncms reason code → the sentence shown on hover and focus. */
export const REASONS = Object.freeze({
  "role_permits": "the role in the group allows it",
  "owner": "the feed belongs to this user",
  "public_feed": "the feed is public",
  "self": "it is the user's own account",
  "not_authenticated": "nobody is logged in",
  "no_such_group": "the group does not exist",
  "no_such_feed": "the feed does not exist",
  "not_group_member": "the user is not a member of the group",
  "passive_member": "passive members do not see the group",
  "invalid_stored_role": "the stored role is not one of 0-4 and grants nothing",
  "not_group_admin": "only group administrators may do this",
  "insufficient_role": "the user's role in the group does not allow this",
  "target_not_member": "the target user is not a member of the group",
  "target_is_self": "this cannot be done to one's own account",
  "read_only_rights": "the group has only read rights over this member's account",
  "target_is_administrator": "the target administers a group; accounts of administrators are never taken over",
  "target_is_site_admin": "the target is a site administrator",
  "target_in_other_groups": "the target belongs to other groups",
  "target_login_disabled": "the target's login is disabled",
  "last_administrator": "a group must keep at least one administrator",
  "feed_not_shared": "the feed is not shared with this user through any group",
});

/** The sentence for a reason code (other profiles' codes are shown as they are). */
export function explain(code) {
  return Object.prototype.hasOwnProperty.call(REASONS, code) ? REASONS[code] : String(code).replace(/_/g, " ");
}
