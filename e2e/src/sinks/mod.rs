//! Notification receivers on loopback, standing in for Slack, Teams, a webhook
//! consumer and a mail server (none of which is reachable here): [`http`] and [`smtp`];
//! [`setup`] configures a CertDesk to notify them.

pub mod http;
pub mod setup;
pub mod smtp;
