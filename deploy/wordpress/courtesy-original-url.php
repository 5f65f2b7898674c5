<?php
/**
 * Plugin Name: courtesy: original URL in the REST API
 * Description: Shows the original article URL that feed importers keep in post meta to
 *   courtesy, read-only, for authenticated REST reads (context=edit).
 *
 * Copy into wp-content/mu-plugins/. The keys read by default are those of WP RSS Aggregator
 * (wprss_item_permalink), Feedzy (feedzy_item_url) and FeedWordPress (syndication_permalink);
 * another importer's key is added in wp-config.php:
 *   define( 'COURTESY_ORIGINAL_URL_META_KEYS', 'my_importer_source_url' );
 * and in the site's "Original URL meta keys" in courtesy's admin.
 */

function courtesy_original_url_meta_keys() {
	$keys = array( 'wprss_item_permalink', 'feedzy_item_url', 'syndication_permalink' );
	if ( defined( 'COURTESY_ORIGINAL_URL_META_KEYS' ) ) {
		$keys = array_merge( $keys, array_map( 'trim', explode( ',', COURTESY_ORIGINAL_URL_META_KEYS ) ) );
	}
	return array_values( array_unique( array_filter( $keys ) ) );
}

add_action( 'init', function () {
	foreach ( courtesy_original_url_meta_keys() as $key ) {
		register_post_meta( 'post', $key, array(
			'type'          => 'string',
			'single'        => true,
			'show_in_rest'  => true,
			// Importers write these; through the REST API only editors may change them.
			'auth_callback' => function () {
				return current_user_can( 'edit_posts' );
			},
		) );
	}
} );
