export * from "./tensor";
export * from "./random";
export * from "./display";
