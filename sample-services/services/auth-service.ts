import { randomBytes } from "node:crypto";
import type { Behaviour } from "../domain/behaviour-version.js";
import { ChallengeScheme } from "../domain/challenge.js";
import { checkPassword, hashPassword } from "../domain/passwords.js";
import { ReceiptSigner } from "../domain/receipts.js";
import { isId, isName, isPhone, LIMITS } from "../domain/validation.js";
import { quoted } from "../echo.js";
import { Code, ServiceError } from "../grpc/errors.js";
import type {
  AuthReceiptMsg,
  ChallengeReply,
  IssueChallengeRequest,
  LoginReply,
  LoginRequest,
  RegisterRequest,
  SignReceiptRequest,
  UserReply,
  VerifyChallengeReply,
  VerifyChallengeRequest,
  VerifyReceiptReply,
  VerifyReceiptRequest,
  VerifyTokenRequest,
} from "../grpc/messages.js";
import type { UnaryHandler } from "../grpc/server-kit.js";
import type { TokenRecord, UserRecord } from "../store/records.js";
import type { SampleStore } from "../store/sample-store.js";

/** Session tokens last an hour. */
export const TOKEN_TTL_MS = 60 * 60_000;

/** Scopes by role; v2 writes them into tokens, and derives them for v1 tokens that lack them. */
export const ROLE_SCOPES = {
  user: ["orders:read", "orders:write", "orders:receive"],
  staff: ["orders:read", "orders:scan"],
} as const;

/** What auth-service needs. */
export interface AuthServiceDeps {
  readonly version: string;
  readonly behaviour: Behaviour;
  readonly store: SampleStore;
  readonly secret: string;
  readonly now?: () => number;
}

/**
 * auth-service handlers. Persistent things (users, tokens, receipts) work across versions both
 * ways; the transaction challenge deliberately does not.
 */
export function authHandlers(deps: AuthServiceDeps): Record<string, UnaryHandler> {
  const now = deps.now ?? Date.now;
  const challenges = new ChallengeScheme(deps.behaviour, deps.version, deps.secret, now);
  const receipts = new ReceiptSigner(deps.behaviour, deps.secret);
  const issuer = `auth-service@${deps.version}`;

  const register = async (req: RegisterRequest): Promise<UserReply> => {
    if (!isPhone(req.phone))
      throw invalid(`phone ${quoted(req.phone)} is not a phone number like +15551234567`);
    if (!isName(req.name)) throw invalid(`name must be 1 to ${LIMITS.maxNameLength} characters`);
    if (req.password.length < LIMITS.minPasswordLength || req.password.length > LIMITS.maxPasswordLength)
      throw invalid(`password must be ${LIMITS.minPasswordLength} to ${LIMITS.maxPasswordLength} characters`);
    const user: UserRecord = {
      phone: req.phone,
      name: req.name.trim(),
      role: "user",
      passwordHash: await hashPassword(req.password),
      createdAtMs: now(),
    };
    if (!(await deps.store.createUser(user)))
      throw new ServiceError(Code.ALREADY_EXISTS, `a user with phone ${req.phone} already exists`);
    return { user: { phone: user.phone, name: user.name, role: user.role }, scopes: [...ROLE_SCOPES.user] };
  };

  const login = async (req: LoginRequest): Promise<LoginReply> => {
    const user = isPhone(req.phone) ? await deps.store.getUser(req.phone) : null;
    if (user === null || !(await checkPassword(req.password, user.passwordHash)))
      throw new ServiceError(Code.UNAUTHENTICATED, "phone or password is wrong");
    const token = randomBytes(24).toString("base64url");
    const issuedAtMs = now();
    const base: TokenRecord = {
      phone: user.phone,
      role: user.role,
      issuedAtMs,
      expiresAtMs: issuedAtMs + TOKEN_TTL_MS,
      issuer,
    };
    // v2 expands the token record with scopes; v1 neither writes nor needs them.
    const record: TokenRecord =
      deps.behaviour === "v2" ? { ...base, scopes: [...ROLE_SCOPES[user.role]] } : base;
    await deps.store.putToken(token, record);
    return {
      token,
      expiresAtMs: record.expiresAtMs,
      user: { phone: user.phone, name: user.name, role: user.role },
    };
  };

  const verifyToken = async (req: VerifyTokenRequest): Promise<UserReply> => {
    if (req.token === "") throw new ServiceError(Code.UNAUTHENTICATED, "a bearer token is required");
    const record = await deps.store.getToken(req.token);
    if (record === null)
      throw new ServiceError(Code.UNAUTHENTICATED, "token is unknown or expired; log in again");
    const user = await deps.store.getUser(record.phone);
    if (user === null) throw new ServiceError(Code.UNAUTHENTICATED, "token's user no longer exists");
    const scopes =
      deps.behaviour === "v2"
        ? [...(record.scopes ?? ROLE_SCOPES[record.role])]
        : [...ROLE_SCOPES[record.role]];
    return { user: { phone: user.phone, name: user.name, role: user.role }, scopes };
  };

  const issueChallenge = (req: IssueChallengeRequest): Promise<ChallengeReply> => {
    if (req.requestId === "") return Promise.reject(invalid("request_id is required to bind a challenge"));
    return Promise.resolve({ challenge: challenges.issue(req.requestId) });
  };

  const verifyChallenge = (req: VerifyChallengeRequest): Promise<VerifyChallengeReply> => {
    const failure = challenges.verify(req.challenge, req.requestId);
    if (failure === null) return Promise.resolve({ valid: true });
    const code =
      failure.kind === "mixed"
        ? Code.ABORTED
        : failure.kind === "expired"
          ? Code.FAILED_PRECONDITION
          : failure.kind === "malformed"
            ? Code.INVALID_ARGUMENT
            : Code.PERMISSION_DENIED;
    return Promise.reject(new ServiceError(code, failure.message));
  };

  const signReceipt = (req: SignReceiptRequest): Promise<AuthReceiptMsg> => {
    if (!isId(req.orderId)) return Promise.reject(invalid(`order id ${quoted(req.orderId)} is not valid`));
    if (!isPhone(req.signerPhone))
      return Promise.reject(invalid(`signer phone ${quoted(req.signerPhone)} is not valid`));
    const r = receipts.sign({
      orderId: req.orderId,
      signerPhone: req.signerPhone,
      signedAtMs: now(),
      totalCents: req.totalCents,
    });
    return Promise.resolve({ orderId: req.orderId, ...r });
  };

  const verifyReceipt = (req: VerifyReceiptRequest): Promise<VerifyReceiptReply> => {
    const r = req.receipt;
    if (r === null) return Promise.reject(invalid("receipt is required"));
    const reason = receipts.verify(r.orderId, r);
    return Promise.resolve({ valid: reason === null, scheme: r.scheme, reason: reason ?? "" });
  };

  return {
    Register: register,
    Login: login,
    VerifyToken: verifyToken,
    IssueChallenge: issueChallenge,
    VerifyChallenge: verifyChallenge,
    SignReceipt: signReceipt,
    VerifyReceipt: verifyReceipt,
  };
}

function invalid(message: string): ServiceError {
  return new ServiceError(Code.INVALID_ARGUMENT, message);
}
