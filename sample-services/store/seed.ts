import { hashPassword } from "../domain/passwords.js";
import type { ItemRecord, StationRecord } from "./records.js";
import type { SampleStore } from "./sample-store.js";

/** Goods the sample starts with; stock is large so load runs do not run dry. */
export const SEED_ITEMS: readonly ItemRecord[] = [
  { id: "item-books", name: "Box of books", priceCents: 2500, stock: 1_000_000 },
  { id: "item-laptop", name: "Laptop", priceCents: 89900, stock: 1_000_000 },
  { id: "item-phone", name: "Phone", priceCents: 49900, stock: 1_000_000 },
  { id: "item-shoes", name: "Running shoes", priceCents: 7900, stock: 1_000_000 },
  { id: "item-tea", name: "Tea sampler", priceCents: 1500, stock: 1_000_000 },
];

/** Stations the sample starts with. */
export const SEED_STATIONS: readonly StationRecord[] = [
  { id: "st-hub", name: "Central hub", city: "Lyon" },
  { id: "st-north", name: "North depot", city: "Lille" },
  { id: "st-south", name: "South depot", city: "Marseille" },
  { id: "st-east", name: "East depot", city: "Strasbourg" },
  { id: "st-west", name: "West depot", city: "Nantes" },
];

/** The staff account seeded for scanning parcels (sample credentials, documented). */
export const SEED_STAFF = {
  phone: "+15550000001",
  name: "Station staff",
  password: "staff-password",
} as const;

/**
 * Seeds items, stations and the staff account. Idempotent: existing items and stations are left
 * as they are (their stock may have moved), and an existing staff account is kept.
 */
export async function seedSampleData(store: SampleStore, now: () => number = Date.now): Promise<void> {
  for (const item of SEED_ITEMS) if ((await store.getItem(item.id)) === null) await store.putItem(item);
  for (const station of SEED_STATIONS)
    if ((await store.getStation(station.id)) === null) await store.putStation(station);
  if ((await store.getUser(SEED_STAFF.phone)) === null) {
    await store.createUser({
      phone: SEED_STAFF.phone,
      name: SEED_STAFF.name,
      role: "staff",
      passwordHash: await hashPassword(SEED_STAFF.password),
      createdAtMs: now(),
    });
  }
}
