// Generated from protos/greeter.proto; do not edit.


export interface HelloReply {
  /**
   * The greeting.
   */
  'message'?: (string);
}

export interface HelloReply__Output {
  /**
   * The greeting.
   */
  'message': (string);
}
