// Generated from protos/greeter.proto; do not edit.


export interface HelloRequest {
  /**
   * Who to greet: non-blank, at most 256 characters.
   */
  'name'?: (string);
  /**
   * SayHelloStream only: how many replies to send (0 means the server default, 3; at most 100).
   */
  'count'?: (number);
}

export interface HelloRequest__Output {
  /**
   * Who to greet: non-blank, at most 256 characters.
   */
  'name': (string);
  /**
   * SayHelloStream only: how many replies to send (0 means the server default, 3; at most 100).
   */
  'count': (number);
}
