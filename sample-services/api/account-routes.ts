import type { Request } from "express";
import type { ItemList, LoginReply, StationList, UserReply } from "../grpc/messages.js";
import { objectBody, stringField } from "./body.js";
import type { ApiContext } from "./request-context.js";
import type { RouteResult } from "./route-helpers.js";

/** POST /users: register an end user. */
export async function register(req: Request, ctx: ApiContext): Promise<RouteResult> {
  const b = objectBody(req.body);
  const reply = await ctx.call<UserReply>("auth-service", "Register", {
    phone: stringField(b, "phone"),
    name: stringField(b, "name"),
    password: stringField(b, "password"),
  });
  return { status: 201, body: { user: reply.user } };
}

/** POST /sessions: log in and get a bearer token. */
export async function login(req: Request, ctx: ApiContext): Promise<RouteResult> {
  const b = objectBody(req.body);
  const reply = await ctx.call<LoginReply>("auth-service", "Login", {
    phone: stringField(b, "phone"),
    password: stringField(b, "password"),
  });
  return { status: 201, body: { token: reply.token, expiresAtMs: reply.expiresAtMs, user: reply.user } };
}

/** GET /stations */
export async function listStations(_req: Request, ctx: ApiContext): Promise<RouteResult> {
  const reply = await ctx.call<StationList>("station-service", "ListStations", {});
  return { status: 200, body: { stations: reply.stations } };
}

/** GET /items */
export async function listItems(_req: Request, ctx: ApiContext): Promise<RouteResult> {
  const reply = await ctx.call<ItemList>("item-service", "ListItems", {});
  return { status: 200, body: { items: reply.items } };
}
