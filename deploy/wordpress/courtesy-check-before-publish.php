<?php
/**
 * Plugin Name: courtesy: check before publishing
 * Description: Asks courtesy (POST /api/v1/checks/) whether an imported article is withheld
 *   before WordPress publishes it, and keeps it a draft if so: zero exposure, instead of
 *   the minutes until courtesy's next sweep of the site.
 *
 * Copy into wp-content/mu-plugins/ and set, in wp-config.php:
 *   define( 'COURTESY_API_URL', 'https://courtesy.example.org/api/v1/' );
 *   define( 'COURTESY_API_TOKEN', '…' );  // a staff user's token (manage.py drf_create_token)
 * The hook itself is the one line at the bottom. The original URL is the importer's post
 * meta, else the content's last link (the importer's "Source" line); courtesy answers "not
 * withheld" for a page of no origin of its own, so a post written on the site is published
 * as usual. If courtesy cannot be reached the post is published too, and courtesy's sweep
 * of the site catches it minutes later.
 */

function courtesy_original_url_of( array $data, array $postarr ) {
	$meta = isset( $postarr['meta_input'] ) && is_array( $postarr['meta_input'] ) ? $postarr['meta_input'] : array();
	$keys = function_exists( 'courtesy_original_url_meta_keys' )
		? courtesy_original_url_meta_keys()
		: array( 'wprss_item_permalink', 'feedzy_item_url', 'syndication_permalink' );
	foreach ( $keys as $key ) {
		if ( ! empty( $meta[ $key ] ) ) {
			return (string) $meta[ $key ];
		}
		if ( ! empty( $postarr['ID'] ) && get_post_meta( $postarr['ID'], $key, true ) ) {
			return (string) get_post_meta( $postarr['ID'], $key, true );
		}
	}
	if ( preg_match_all( '/href=["\']([^"\']+)["\']/i', wp_unslash( $data['post_content'] ), $links ) ) {
		return (string) end( $links[1] );
	}
	return '';
}

function courtesy_check_before_publish( array $data, array $postarr ) {
	if ( 'publish' !== $data['post_status'] || ! defined( 'COURTESY_API_URL' ) ) {
		return $data;
	}
	$original = courtesy_original_url_of( $data, $postarr );
	if ( '' === $original ) {
		return $data;
	}
	$answer = wp_remote_post( rtrim( COURTESY_API_URL, '/' ) . '/checks/', array(
		'timeout' => 5,
		'headers' => array(
			'Authorization' => 'Token ' . ( defined( 'COURTESY_API_TOKEN' ) ? COURTESY_API_TOKEN : '' ),
			'Content-Type'  => 'application/json',
		),
		'body'    => wp_json_encode( array(
			'original_url' => $original,
			'title'        => wp_unslash( $data['post_title'] ),
			'text'         => wp_unslash( $data['post_content'] ),
		) ),
	) );
	if ( is_wp_error( $answer ) || 200 !== wp_remote_retrieve_response_code( $answer ) ) {
		return $data;
	}
	$body = json_decode( wp_remote_retrieve_body( $answer ), true );
	if ( ! empty( $body['results'][0]['withheld'] ) ) {
		$data['post_status'] = 'draft';
	}
	return $data;
}

add_filter( 'wp_insert_post_data', 'courtesy_check_before_publish', 10, 2 );
