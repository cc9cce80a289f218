/**
 * TypeScript shapes of the proto messages as @grpc/proto-loader hands them over (camelCase
 * fields, int64 as number, defaults filled in). Message fields may be null when unset.
 */

export interface UserMsg {
  phone: string;
  name: string;
  role: string;
}
export interface UserReply {
  user: UserMsg | null;
  scopes: string[];
}
export interface RegisterRequest {
  phone: string;
  name: string;
  password: string;
}
export interface LoginRequest {
  phone: string;
  password: string;
}
export interface LoginReply {
  token: string;
  expiresAtMs: number;
  user: UserMsg | null;
}
export interface VerifyTokenRequest {
  token: string;
}
export interface IssueChallengeRequest {
  requestId: string;
}
export interface ChallengeReply {
  challenge: string;
}
export interface VerifyChallengeRequest {
  challenge: string;
  requestId: string;
}
export interface VerifyChallengeReply {
  valid: boolean;
}
export interface AuthReceiptMsg {
  orderId: string;
  signerPhone: string;
  signedAtMs: number;
  scheme: string;
  signature: string;
  totalCents: number;
}
export interface SignReceiptRequest {
  orderId: string;
  signerPhone: string;
  totalCents: number;
}
export interface VerifyReceiptRequest {
  receipt: AuthReceiptMsg | null;
}
export interface VerifyReceiptReply {
  valid: boolean;
  scheme: string;
  reason: string;
}

export interface PartyMsg {
  phone: string;
  name: string;
}
export interface GoodsLineMsg {
  itemId: string;
  quantity: number;
  unitPriceCents: number;
}
export interface OrderReceiptMsg {
  signerPhone: string;
  signedAtMs: number;
  scheme: string;
  signature: string;
  totalCents: number;
}
export interface OrderMsg {
  id: string;
  sender: PartyMsg | null;
  receiver: PartyMsg | null;
  goods: GoodsLineMsg[];
  fromStationId: string;
  toStationId: string;
  state: string;
  currentStationId: string;
  goodsCents: number;
  feeCents: number;
  totalCents: number;
  feeRule: string;
  createdAtMs: number;
  updatedAtMs: number;
  receipt: OrderReceiptMsg | null;
  revision: number;
  createdBy: string;
}
export interface CreateOrderRequest {
  sender: PartyMsg | null;
  receiver: PartyMsg | null;
  goods: GoodsLineMsg[];
  fromStationId: string;
  toStationId: string;
  validateOnly: boolean;
  quotedFeeRule: string;
  quotedTotalCents: number;
}
export interface OrderReply {
  order: OrderMsg | null;
}
export interface GetOrderListRequest {
  phone: string;
}
export interface OrderListReply {
  orders: OrderMsg[];
}
export interface GetSpecificOrderRequest {
  orderId: string;
}
export interface UpdateOrderStateRequest {
  orderId: string;
  action: string;
  stationId: string;
  receipt: OrderReceiptMsg | null;
}

export interface ItemMsg {
  id: string;
  name: string;
  priceCents: number;
  stock: number;
}
export interface ItemList {
  items: ItemMsg[];
}
export interface GetItemsRequest {
  ids: string[];
}
export interface StockLineMsg {
  itemId: string;
  quantity: number;
}
export interface StockRequest {
  lines: StockLineMsg[];
}

export interface StationMsg {
  id: string;
  name: string;
  city: string;
}
export interface StationList {
  stations: StationMsg[];
}
export interface GetStationsRequest {
  ids: string[];
}
export interface TrackingEventMsg {
  orderId: string;
  stationId: string;
  direction: string;
  atMs: number;
  staffPhone: string;
  recordedBy: string;
}
export interface RecordScanRequest {
  orderId: string;
  stationId: string;
  direction: string;
  staffPhone: string;
}
export interface ListEventsRequest {
  orderId: string;
}
export interface EventList {
  events: TrackingEventMsg[];
}
