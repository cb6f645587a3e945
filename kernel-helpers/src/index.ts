export * from "./tensor";
export * from "./random";
