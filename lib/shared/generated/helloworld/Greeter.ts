// Generated from protos/greeter.proto; do not edit.

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { HelloReply as _helloworld_HelloReply, HelloReply__Output as _helloworld_HelloReply__Output } from '../helloworld/HelloReply.ts';
import type { HelloRequest as _helloworld_HelloRequest, HelloRequest__Output as _helloworld_HelloRequest__Output } from '../helloworld/HelloRequest.ts';

export interface GreeterClient extends grpc.Client {
  /**
   * One request, one reply whose message contains the name.
   */
  SayHello(argument: _helloworld_HelloRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_helloworld_HelloReply__Output>): grpc.ClientUnaryCall;
  SayHello(argument: _helloworld_HelloRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_helloworld_HelloReply__Output>): grpc.ClientUnaryCall;
  SayHello(argument: _helloworld_HelloRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_helloworld_HelloReply__Output>): grpc.ClientUnaryCall;
  SayHello(argument: _helloworld_HelloRequest, callback: grpc.requestCallback<_helloworld_HelloReply__Output>): grpc.ClientUnaryCall;
  /**
   * One request, one reply whose message contains the name.
   */
  sayHello(argument: _helloworld_HelloRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_helloworld_HelloReply__Output>): grpc.ClientUnaryCall;
  sayHello(argument: _helloworld_HelloRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_helloworld_HelloReply__Output>): grpc.ClientUnaryCall;
  sayHello(argument: _helloworld_HelloRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_helloworld_HelloReply__Output>): grpc.ClientUnaryCall;
  sayHello(argument: _helloworld_HelloRequest, callback: grpc.requestCallback<_helloworld_HelloReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * One reply per request, in order, sent as soon as that request arrives.
   */
  SayHelloBidirectional(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_helloworld_HelloRequest, _helloworld_HelloReply__Output>;
  SayHelloBidirectional(options?: grpc.CallOptions): grpc.ClientDuplexStream<_helloworld_HelloRequest, _helloworld_HelloReply__Output>;
  /**
   * One reply per request, in order, sent as soon as that request arrives.
   */
  sayHelloBidirectional(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_helloworld_HelloRequest, _helloworld_HelloReply__Output>;
  sayHelloBidirectional(options?: grpc.CallOptions): grpc.ClientDuplexStream<_helloworld_HelloRequest, _helloworld_HelloReply__Output>;
  
  /**
   * Many requests; after the client half-closes, one reply naming them all, in order.
   */
  SayHelloClientStream(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_helloworld_HelloReply__Output>): grpc.ClientWritableStream<_helloworld_HelloRequest>;
  SayHelloClientStream(metadata: grpc.Metadata, callback: grpc.requestCallback<_helloworld_HelloReply__Output>): grpc.ClientWritableStream<_helloworld_HelloRequest>;
  SayHelloClientStream(options: grpc.CallOptions, callback: grpc.requestCallback<_helloworld_HelloReply__Output>): grpc.ClientWritableStream<_helloworld_HelloRequest>;
  SayHelloClientStream(callback: grpc.requestCallback<_helloworld_HelloReply__Output>): grpc.ClientWritableStream<_helloworld_HelloRequest>;
  /**
   * Many requests; after the client half-closes, one reply naming them all, in order.
   */
  sayHelloClientStream(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_helloworld_HelloReply__Output>): grpc.ClientWritableStream<_helloworld_HelloRequest>;
  sayHelloClientStream(metadata: grpc.Metadata, callback: grpc.requestCallback<_helloworld_HelloReply__Output>): grpc.ClientWritableStream<_helloworld_HelloRequest>;
  sayHelloClientStream(options: grpc.CallOptions, callback: grpc.requestCallback<_helloworld_HelloReply__Output>): grpc.ClientWritableStream<_helloworld_HelloRequest>;
  sayHelloClientStream(callback: grpc.requestCallback<_helloworld_HelloReply__Output>): grpc.ClientWritableStream<_helloworld_HelloRequest>;
  
  /**
   * One request, several replies, each containing the name, sent as produced.
   */
  SayHelloStream(argument: _helloworld_HelloRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_helloworld_HelloReply__Output>;
  SayHelloStream(argument: _helloworld_HelloRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_helloworld_HelloReply__Output>;
  /**
   * One request, several replies, each containing the name, sent as produced.
   */
  sayHelloStream(argument: _helloworld_HelloRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_helloworld_HelloReply__Output>;
  sayHelloStream(argument: _helloworld_HelloRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_helloworld_HelloReply__Output>;
  
}

export interface GreeterHandlers extends grpc.UntypedServiceImplementation {
  /**
   * One request, one reply whose message contains the name.
   */
  SayHello: grpc.handleUnaryCall<_helloworld_HelloRequest__Output, _helloworld_HelloReply>;
  
  /**
   * One reply per request, in order, sent as soon as that request arrives.
   */
  SayHelloBidirectional: grpc.handleBidiStreamingCall<_helloworld_HelloRequest__Output, _helloworld_HelloReply>;
  
  /**
   * Many requests; after the client half-closes, one reply naming them all, in order.
   */
  SayHelloClientStream: grpc.handleClientStreamingCall<_helloworld_HelloRequest__Output, _helloworld_HelloReply>;
  
  /**
   * One request, several replies, each containing the name, sent as produced.
   */
  SayHelloStream: grpc.handleServerStreamingCall<_helloworld_HelloRequest__Output, _helloworld_HelloReply>;
  
}

export interface GreeterDefinition extends grpc.ServiceDefinition {
  SayHello: MethodDefinition<_helloworld_HelloRequest, _helloworld_HelloReply, _helloworld_HelloRequest__Output, _helloworld_HelloReply__Output>
  SayHelloBidirectional: MethodDefinition<_helloworld_HelloRequest, _helloworld_HelloReply, _helloworld_HelloRequest__Output, _helloworld_HelloReply__Output>
  SayHelloClientStream: MethodDefinition<_helloworld_HelloRequest, _helloworld_HelloReply, _helloworld_HelloRequest__Output, _helloworld_HelloReply__Output>
  SayHelloStream: MethodDefinition<_helloworld_HelloRequest, _helloworld_HelloReply, _helloworld_HelloRequest__Output, _helloworld_HelloReply__Output>
}
