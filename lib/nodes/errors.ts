import { HttpError } from "../errors.ts";

/** Why a join token was refused; each is its own API error code. */
export type JoinTokenProblem =
  | "join_token_invalid"
  | "join_token_expired"
  | "join_token_revoked"
  | "join_token_used_up";

/** A join token that cannot be used: unknown, expired, revoked or used up (401). */
export class JoinTokenError extends HttpError {
  constructor(readonly problem: JoinTokenProblem, message: string) {
    super(401, problem, message);
    this.name = "JoinTokenError";
  }
}

/** A node with this public key has already joined (409 `node_key_exists`). */
export class NodeKeyExistsError extends HttpError {
  constructor(message: string) {
    super(409, "node_key_exists", message);
    this.name = "NodeKeyExistsError";
  }
}
