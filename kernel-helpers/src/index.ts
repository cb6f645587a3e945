export * from "./tensor";
export * from "./random";
export * from "./display";
export * from "./layers";
export * from "./reference";
export * from "./gradcheck";
export * from "./tf-convert";
