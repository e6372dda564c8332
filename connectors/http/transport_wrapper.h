// TransportWrapper: an HttpTransport that forwards every call to another one (leveldb's
// EnvWrapper). A test double derives from it and overrides only what it breaks:
//
//   class DropAfterSend : public TransportWrapper {
//    public:
//     using TransportWrapper::TransportWrapper;
//     boost::asio::awaitable<boost::system::result<HttpResponse, TransportError>> Send(HttpRequest req) override {
//       co_await target().Send(std::move(req));                       // the server acts...
//       co_return TransportError{"connection reset", /*sent=*/true};  // ...the answer is lost
//     }
//   };
#pragma once

#include "connectors/http/transport.h"

namespace tenure::connectors::http {

class TransportWrapper : public HttpTransport {
 public:
  // `target` must outlive the wrapper.
  explicit TransportWrapper(HttpTransport& target) : target_(target) {}

  boost::asio::awaitable<boost::system::result<HttpResponse, TransportError>> Send(HttpRequest req) override {
    return target_.Send(std::move(req));
  }

 protected:
  HttpTransport& target() { return target_; }

 private:
  HttpTransport& target_;
};

}  // namespace tenure::connectors::http
