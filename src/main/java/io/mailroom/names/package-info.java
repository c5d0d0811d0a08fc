/**
 * Names the service's parts share without depending on each other: the contract's naming rules
 * and the registered names of the supervision tree. Depends on nothing.
 */
package io.mailroom.names;
